"""A progress bar with time left for any loop that runs longer than a few seconds."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any


def progress(iterable: Iterable | None = None, total: int | None = None, desc: str = "", unit: str = "it") -> Any:
    """tqdm's bar (count, rate, time left) when tqdm is installed (npgrad[progress]), else a
    `ProgressLines` that prints the same facts as a line every 30 seconds.

    Use it as tqdm: `for step in progress(range(steps), desc="pretrain")`, or
    `bar = progress(total=n)`, then `bar.update(k)`, `bar.set_postfix(loss=...)`, `bar.close()`.
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return ProgressLines(iterable, total, desc, unit)
    interactive = sys.stderr.isatty()
    refresh = {} if interactive else {"mininterval": 30, "maxinterval": 30}
    return tqdm(iterable, total=total, desc=desc, unit=unit, dynamic_ncols=True, **refresh)


class ProgressLines:
    """Without tqdm: "desc: 120/600 it, 2.1 it/s, 3 min 48 s left" on stderr every `every` seconds."""

    def __init__(
        self,
        iterable: Iterable | None = None,
        total: int | None = None,
        desc: str = "",
        unit: str = "it",
        every: float = 30.0,
    ) -> None:
        self.iterable, self.desc, self.unit, self.every = iterable, desc, unit, every
        self.total = total if total is not None or iterable is None else _length_or_none(iterable)
        self.count, self.postfix = 0, ""
        self.started = self.printed = time.perf_counter()

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.update()
        self.close()

    def update(self, n: int = 1) -> None:
        self.count += n
        if time.perf_counter() - self.printed >= self.every:
            self._print()

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        """As tqdm's: the values are shown with the next line (refresh is accepted for tqdm's signature)."""
        self.postfix = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())

    def set_description(self, desc: str) -> None:
        self.desc = desc

    def close(self) -> None:
        self._print()

    def _print(self) -> None:
        self.printed = time.perf_counter()
        elapsed = self.printed - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        done = f"{self.count}/{self.total}" if self.total else f"{self.count}"
        left = f", {_duration((self.total - self.count) / rate)} left" if self.total and rate > 0 else ""
        postfix = f", {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {done} {self.unit}, {rate:.3g} {self.unit}/s{left}{postfix}", file=sys.stderr, flush=True)


def _length_or_none(iterable):
    try:
        return len(iterable)
    except TypeError:
        return None


def _duration(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
