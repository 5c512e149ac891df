"""`torch`, imported on first use: modules that only *describe* results (configs, result types, the
pipeline) name it at module level without paying its start-up (1-5 s) when nothing is computed, as in
`--help` or `--report-only` after editing the answers."""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for a module; the first attribute access imports it (then it is the real module's)."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


torch = LazyModule("torch")
