"""What a part is: the contract every folder under hw1/parts/ fulfils, and what it receives.

A part is a package `hw1/parts/part<N>_<name>/` whose `__init__.py` defines `PART = Part(...)`:
its config and result types, its `run` (compute: returns a typed result, writes artifacts through
the RunContext, never prints) and its `draw` (figures from a saved result). The registry
(`hw1.parts`), the CLI's part numbers, the report's sections and summary rows, the cache's code
versions and the tests' part sets are all derived from these folders. docs/development.md: "Adding a part".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


@dataclass(frozen=True)
class Part:
    number: int  # N of the folder part<N>_<name>; the report orders parts by it
    title: str  # the section heading, e.g. "Plot Loss and Gradient"
    config_cls: type  # frozen dataclass with a `preset(quick: bool)` classmethod
    result_cls: type  # dataclass saved to results.json (hw1.store.schema converts it both ways)
    run: Callable  # run(config, ctx: RunContext, *upstream: StoredPart) -> result
    draw: Callable  # draw(stored: StoredPart, artifacts_dir, figures_dir) -> {name: Figure}
    depends_on: tuple[int, ...] = ()  # parts whose saved results `run` receives, in this order
    uses_device: bool = False  # results depend on the device (CPU and GPU numerics differ)
    folder: Path | None = None  # set by the registry: hw1/parts/part<N>_<name>/

    @property
    def name(self) -> str:
        """The part's key in results.json and in the templates' `parts` (e.g. "part1")."""
        return f"part{self.number}"

    @property
    def section_template(self) -> str:
        """The report section (headings, figures, the questions' numbers), in the templates folder."""
        return f"sections/{self.name}.html.j2"

    @property
    def answers_template(self) -> str:
        """The written answers the section includes: the file students edit."""
        return f"answers/{self.name}.html.j2"

    @property
    def summary_template(self) -> str:
        """Rows of the front page's "Results at a glance" table for this part."""
        return f"summary/{self.name}.html.j2"


@dataclass
class StoredPart:
    """A saved part, loaded back into its typed config and result (what `draw` and downstream parts get)."""

    name: str
    key: str
    config: Any
    result: Any
    seed: int
    device: str
    seconds: float
    finished_at: str
