"""Start N processes of a Python program through the MPI launcher on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence

from ..utils.environment import usable_cores


def find_mpiexec() -> str:
    """The MPI launcher beside this Python (where the mpich wheel installs it), else on PATH."""
    for directory in (os.path.dirname(sys.executable), None):
        found = shutil.which("mpiexec", path=directory)
        if found:
            return found
    raise RuntimeError("no MPI launcher (mpiexec) found; pip install 'npgrad[distributed]'")


def mpiexec_command(nproc: int, python_args: Sequence[str]) -> list[str]:
    """The command that runs `python <python_args>` as `nproc` MPI processes.

    The program runs under `python -m mpi4py`, which turns a rank's unhandled exception or
    `sys.exit(nonzero)` into MPI_Abort: the other ranks end too instead of waiting forever in
    their next collective (a bare `python` would finalize MPI on that rank and leave them)."""
    if not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"nproc must be a positive integer, got {nproc!r}")
    return [find_mpiexec(), "-n", str(nproc), sys.executable, "-m", "mpi4py", *python_args]


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def worker_environment(nproc: int, threads: int | None = None) -> dict[str, str]:
    """This process's environment for each of `nproc` processes on this machine, with `threads`
    BLAS and compiled-loop threads each. By default the cores are shared out among the
    processes, unless the environment already sets those counts: otherwise every process would
    start a thread per core, and N processes of N threads spin-waiting for cores the others
    hold ran `npgrad train --nproc 2` twenty times slower on a 2-core machine."""
    if threads is not None:
        return {**os.environ, **{name: str(threads) for name in THREAD_VARIABLES}}
    share = str(max(1, usable_cores() // nproc))
    return {**{name: share for name in THREAD_VARIABLES}, **os.environ}


def launch(nproc: int, python_args: Sequence[str], timeout: float | None = None) -> int:
    """Run `python <python_args>` as `nproc` MPI processes sharing out the cores (see
    worker_environment); return the launcher's exit code."""
    command = mpiexec_command(nproc, python_args)
    return subprocess.run(command, env=worker_environment(nproc), timeout=timeout).returncode
