"""Progress through a file: a tqdm bar on a terminal, nothing otherwise (the command then
prints its one-line summary only)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Any, Self, TextIO

from tqdm import tqdm


class Progress:
    """Shows how much of a file is done, by bytes read, with the counts so far."""

    def __init__(self, file: TextIO, description: str, *, stream: IO[str] = sys.stderr) -> None:
        self._file = file
        self._total = os.fstat(file.fileno()).st_size
        self._bar: tqdm[Any] | None = None
        if stream.isatty():
            self._bar = tqdm(
                total=self._total,
                desc=description,
                unit="B",
                unit_scale=True,
                file=stream,
                dynamic_ncols=True,
            )

    def advance(self, counts: Mapping[str, int]) -> None:
        if self._bar is not None:
            self._bar.update(self._file.buffer.tell() - self._bar.n)
            shown = ", ".join(f"{name} {count}" for name, count in counts.items() if name != "read")
            self._bar.set_postfix_str(shown, refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(self._total - self._bar.n)
            self._bar.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
