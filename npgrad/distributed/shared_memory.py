"""Processes on one machine that talk through shared memory, with nothing beyond the standard
library: npgrad's own launcher (`python -m npgrad.distributed.launch --nproc 2 train.py`, which
`npgrad train` uses) and the backend its processes get (backend name "shm").

The launcher starts the program N times with multiprocessing's spawn and hands each process its
rank, one block of shared memory with a slot per rank, and a semaphore for every ordered pair of
ranks, which make a barrier (below). Every collective is the same two-step dance, piece by piece
for arrays larger than a slot:

    each rank copies its array into its own slot;   barrier
    each rank reads the slots it needs;             barrier (now a slot may be written again)

An all-reduce combines the slots in rank order on every rank, so every rank gets the same bits,
and with two processes the bits MPI gives (a + b = b + a). When a process fails, the launcher
ends the others, as MPI_Abort does.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import sys
import time
import traceback
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..utils.environment import usable_cores
from .process_group import Work

SLOT_BYTES = 4 << 20  # per rank; a larger array goes through its slot in pieces
SPIN = 2000  # polls of a semaphore before sleeping on it: a wake-up costs tens of microseconds

_COMBINE = {"sum": np.add, "product": np.multiply, "min": np.minimum, "max": np.maximum}


class LocalWorld(NamedTuple):
    """What the launcher gives each process it starts."""

    rank: int
    size: int
    slots: Any  # a multiprocessing RawArray of size * SLOT_BYTES bytes
    signals: Any  # signals[a][b]: a multiprocessing Semaphore that rank a releases for rank b (None for a == b)


_world: LocalWorld | None = None  # set in a process this launcher started


def launched_world() -> LocalWorld | None:
    """This process's place in a world started by launch_local, or None."""
    return _world


class PairwiseBarrier:
    """A barrier made of one semaphore per ordered pair of ranks: each rank releases its
    semaphore towards every other rank, then takes one from each of theirs. One semaphore per
    sender keeps the barriers apart: a rank already at the next barrier adds a second count to
    its own semaphore, which this barrier does not take. The semaphores also order memory:
    what a rank wrote before releasing is visible to the rank that took it."""

    def __init__(self, signals: Any, rank: int) -> None:
        others = [other for other in range(len(signals)) if other != rank]
        self._outgoing = [signals[rank][other] for other in others]
        self._incoming = [signals[other][rank] for other in others]
        self._polls = SPIN if len(signals) <= usable_cores() else 0  # polling a shared core delays the others

    def wait(self) -> None:
        for semaphore in self._outgoing:
            semaphore.release()
        for semaphore in self._incoming:
            self._take(semaphore)

    def _take(self, semaphore: Any) -> None:
        """Acquire `semaphore`: poll it first, then sleep until it is released."""
        for _ in range(self._polls):
            if semaphore.acquire(False):
                return
        semaphore.acquire()


class SharedMemoryBackend:
    name = "shm"

    def __init__(self, world: LocalWorld) -> None:
        self.rank, self.size = world.rank, world.size
        self._barrier = PairwiseBarrier(world.signals, world.rank)
        self._slots = np.frombuffer(world.slots, dtype=np.uint8).reshape(world.size, SLOT_BYTES)

    def _slot(self, rank: int, like: np.ndarray) -> np.ndarray:
        return self._slots[rank].view(like.dtype)[: like.size]

    def _exchange(self, flat: np.ndarray, write: bool = True) -> Iterator[tuple[slice, list[np.ndarray]]]:
        """For each piece of `flat` that fits a slot: this rank's piece is written to its slot
        (when `write`), then (piece, every rank's slot) is yielded for reading."""
        step = SLOT_BYTES // max(flat.itemsize, 1)
        for start in range(0, flat.size, step):
            piece = slice(start, start + step)
            if write:
                self._slot(self.rank, flat[piece])[...] = flat[piece]
            self._barrier.wait()
            yield piece, [self._slot(rank, flat[piece]) for rank in range(self.size)]
            self._barrier.wait()

    def all_reduce(self, array: np.ndarray, op: str) -> Any:
        flat, combine = array.reshape(-1), _COMBINE[op]
        for piece, slots in self._exchange(flat):
            if self.size > 1:  # (a world of one holds its own values already)
                combine(slots[0], slots[1], out=flat[piece])
            for other in slots[2:]:
                combine(flat[piece], other, out=flat[piece])
        return Work()

    def broadcast(self, array: np.ndarray, src: int) -> Any:
        flat = array.reshape(-1)
        for piece, slots in self._exchange(flat, write=self.rank == src):
            if self.rank != src:
                flat[piece] = slots[src]
        return Work()

    def all_gather(self, array: np.ndarray) -> np.ndarray:
        gathered = np.empty((self.size,) + array.shape, array.dtype)
        rows = gathered.reshape(self.size, -1)
        for piece, slots in self._exchange(array.reshape(-1)):
            for rank, slot in enumerate(slots):
                rows[rank, piece] = slot
        return gathered

    def barrier(self) -> None:
        self._barrier.wait()

    def abort(self, code: int) -> None:
        sys.stderr.flush()
        raise SystemExit(code)  # the launcher sees the failure and ends the others


def _run_rank(world: LocalWorld, python_args: Sequence[str]) -> None:
    """A started process: join the world, then run `python <python_args>` as __main__, whose
    uncaught exception is printed as Python prints it and ends the process with code 1."""
    global _world
    _world = world
    module = python_args[1] if python_args[0] == "-m" else None
    sys.argv = [module, *python_args[2:]] if module else list(python_args)
    try:
        with warnings.catch_warnings():  # the module may be imported already: spawn imported the launching program
            warnings.filterwarnings("ignore", "'.*' found in sys.modules", RuntimeWarning)
            if module:
                runpy.run_module(module, run_name="__main__", alter_sys=True)
            else:
                runpy.run_path(python_args[0], run_name="__main__")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        sys.exit(1)


def start_local(nproc: int, python_args: Sequence[str], environment: dict[str, str]) -> tuple[list[Any], Any]:
    """Start `python <python_args>` as ranks 0..nproc-1 with `environment` (read by each process
    before it loads NumPy, hence by its BLAS). Returns the processes and what they share (the
    slots and semaphores), which must be kept until they end: a process that starts after
    they are freed finds no semaphore to open."""
    context = multiprocessing.get_context("spawn")
    slots = context.RawArray("B", nproc * SLOT_BYTES)
    signals = [[context.Semaphore(0) if a != b else None for b in range(nproc)] for a in range(nproc)]
    saved = dict(os.environ)
    os.environ.update(environment)  # a spawned process starts with this process's environment
    try:
        processes = [
            context.Process(target=_run_rank, args=(LocalWorld(rank, nproc, slots, signals), list(python_args)))
            for rank in range(nproc)
        ]
        for process in processes:
            process.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return processes, (slots, signals)


def wait_for(processes: list[Any], timeout: float | None = None) -> int:
    """Wait for every process; when one fails, end the others, which would otherwise wait for it
    forever in their next collective. Returns the first failure's exit code (a signal's as
    128 + its number), else 0. Raises TimeoutError after `timeout` seconds."""
    from multiprocessing.connection import wait

    running, deadline = list(processes), None if timeout is None else time.monotonic() + timeout
    try:
        while running:
            limit = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not wait([process.sentinel for process in running], limit):
                raise TimeoutError(f"{len(processes)} processes still running after {timeout} s")
            for process in [process for process in running if not process.is_alive()]:
                running.remove(process)
                if process.exitcode != 0:
                    return process.exitcode if process.exitcode > 0 else 128 - process.exitcode
    finally:  # after a failure, a timeout or Ctrl-C (which reaches every process too)
        _end(running)
    return 0


def _end(processes: list[Any], grace: float = 2.0) -> None:
    """Terminate the processes still running after `grace` seconds (time to leave after Ctrl-C)."""
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
            process.join()
