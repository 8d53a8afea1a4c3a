"""Start N processes of a Python program on this machine: through npgrad's own launcher, whose
processes talk through shared memory (no dependency), or through MPI's launcher, mpiexec.

    python -m npgrad.distributed.launch --nproc 2 train.py --lr 0.1
"""

from __future__ import annotations

import argparse
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
    _check_nproc(nproc)
    return [find_mpiexec(), "-n", str(nproc), sys.executable, "-m", "mpi4py", *python_args]


def _check_nproc(nproc: int) -> None:
    if not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"nproc must be a positive integer, got {nproc!r}")


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


def launch_mpi(nproc: int, python_args: Sequence[str], timeout: float | None = None, threads: int | None = None) -> int:
    """Run `python <python_args>` as `nproc` MPI processes, with `threads` threads each or the
    cores shared out (see worker_environment); return the launcher's exit code."""
    command = mpiexec_command(nproc, python_args)
    return subprocess.run(command, env=worker_environment(nproc, threads), timeout=timeout).returncode


def launch_local(
    nproc: int, python_args: Sequence[str], timeout: float | None = None, threads: int | None = None
) -> int:
    """Run `python <python_args>` as `nproc` processes that talk through shared memory, with
    `threads` threads each or the cores shared out (see worker_environment); return the first
    failing process's exit code, else 0."""
    from .shared_memory import start_local, wait_for

    _check_nproc(nproc)
    processes, shared = start_local(nproc, python_args, worker_environment(nproc, threads))
    status = wait_for(processes, timeout)
    del shared  # kept until every process ended
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m npgrad.distributed.launch",
        description="Run a Python program as N processes on this machine that talk through shared "
        "memory; in the program, npgrad.distributed.init_process_group() gives each its rank.",
    )
    parser.add_argument("--nproc", type=int, default=2, help="number of processes (default 2)")
    parser.add_argument("-m", dest="module", nargs=argparse.REMAINDER, help="run a module, as python -m does")
    parser.add_argument("script", nargs=argparse.REMAINDER, help="the script and its own arguments")
    options = parser.parse_args(argv)
    if options.nproc < 1:
        parser.error(f"--nproc must be at least 1, got {options.nproc}")
    if options.module is not None:
        if not options.module:
            parser.error("-m needs a module name")
        python_args = ["-m", *options.module]
    elif not options.script:
        parser.error("name a script to run, or -m MODULE")
    elif not os.path.isfile(options.script[0]):
        parser.error(f"no such script: {options.script[0]}")
    else:
        python_args = options.script
    try:
        return launch_local(options.nproc, python_args)
    except KeyboardInterrupt:  # Ctrl-C reached every process; launch_local has waited for them
        return 130


if __name__ == "__main__":
    sys.exit(main())
