"""Progress of a training run, with tqdm: a bar on a terminal, a line every few seconds
in a log (a pipe or a file), so a long ``make demo`` never looks stuck."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

__all__ = ["LOG_INTERVAL_S", "Progress"]

LOG_INTERVAL_S = 5.0
"""Seconds between two progress lines when the output is not a terminal."""


class _Lines:
    """A stream for tqdm that turns its carriage-return redraws into whole lines."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.replace("\r", "").strip()
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


class Progress:
    """``with Progress(total, label) as bar: ... bar.update()`` on stderr."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label = total, label
        self.stream = sys.stderr if stream is None else stream
        self.bar: Any = None

    def __enter__(self) -> Progress:
        terminal = self.stream.isatty()
        self.bar = tqdm(
            total=self.total, desc=self.label, unit="step", leave=not terminal,
            file=self.stream if terminal else _Lines(self.stream),
            mininterval=0.1 if terminal else LOG_INTERVAL_S, dynamic_ncols=terminal, ascii=not terminal,
        )
        return self

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def __exit__(self, *exc: Any) -> None:
        self.bar.close()
