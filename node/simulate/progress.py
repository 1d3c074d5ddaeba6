"""A progress bar on the terminal for anything that takes more than a second.

:class:`Progress` draws a ``rich`` bar on stderr once the work has lasted
:data:`DELAY` seconds (short runs stay quiet), and only when stderr is a terminal (a log
file or a pipe gets nothing). Without ``rich`` installed it does nothing. ``rich`` is
imported here, when a command that needs it runs, never at start-up.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

__all__ = ["DELAY", "Progress"]

DELAY = 1.0


class Progress:
    """``with Progress("tasks", total) as bar: ... bar.advance()``."""

    def __init__(self, description: str, total: int | None, *, enabled: bool | None = None
                 ) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Progress:
        if self._enabled:
            self._timer = threading.Timer(DELAY, self._start)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _start(self) -> None:
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress
        except ImportError:  # the research extra is not installed: no bar
            return
        with self._lock:
            if self._bar is not None or self._timer is None:
                return
            columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}"),
                                  BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
            if self.total:
                columns.append(TimeRemainingColumn())
            self._bar = RichProgress(*columns, transient=False)
            self._bar.console.file = sys.stderr
            self._task = self._bar.add_task(self.description, total=self.total,
                                            completed=self.done)
            self._bar.start()

    def advance(self, steps: int = 1) -> None:
        with self._lock:
            self.done += steps
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done)

    def describe(self, description: str) -> None:
        with self._lock:
            self.description = description
            if self._bar is not None:
                self._bar.update(self._task, description=description)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
