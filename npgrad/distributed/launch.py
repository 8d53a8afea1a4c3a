"""Start N processes of a Python program through the MPI launcher on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence


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


def launch(nproc: int, python_args: Sequence[str], timeout: float | None = None) -> int:
    """Run `python <python_args>` as `nproc` MPI processes; return the launcher's exit code."""
    return subprocess.run(mpiexec_command(nproc, python_args), timeout=timeout).returncode
