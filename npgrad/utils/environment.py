"""What decides npgrad's speed and its last digits on this machine, for `npgrad info` (as
`python -m torch.utils.collect_env` for PyTorch): the NumPy build and the CPU features its loops
use, the BLAS library with its kernel set and threads, the compiled loops, the data folder and
the optional packages installed.

The matrix products' kernel set matters twice: it sets the speed (AVX-512 kernels run a product
up to twice as fast as AVX2 ones) and the rounding of every product, so the same command can
give slightly different numbers on two CPUs (see docs/reproducibility.md).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform

import numpy as np

# the variables that change the kernels, the threads or what npgrad runs
SETTINGS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "NPY_DISABLE_CPU_FEATURES",
    "NUMBA_CPU_NAME",
    "NPGRAD_NUMBA",
    "NPGRAD_DATA",
)
# what the names NumPy and OpenBLAS use stand for, for the ones common on x86 CPUs
INSTRUCTION_SETS = {
    **{"X86_V3": "AVX2", "Haswell": "AVX2", "Zen": "AVX2"},
    **{"X86_V4": "AVX-512", "SkylakeX": "AVX-512", "Cooperlake": "AVX-512", "SapphireRapids": "AVX-512"},
}
OPTIONAL = (
    *("tqdm", "matplotlib", "safetensors", "scipy", "sacrebleu", "numba", "onnx", "onnxruntime"),
    *("mpi4py", "tokenizers", "threadpoolctl", "torch"),
)


def named(kernels: str) -> str:
    """'Haswell' -> 'Haswell (AVX2)': a kernel set with the instructions it uses, where known."""
    return f"{kernels} ({INSTRUCTION_SETS[kernels]})" if kernels in INSTRUCTION_SETS else kernels


def installed_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask where the platform has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def thread_setting(*names: str) -> int | None:
    """The thread count the first of the environment variables `names` sets to a positive integer, if any."""
    for name in names:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def blas_threads() -> int:
    """The threads OpenBLAS runs a product on, as it decides when it loads: OPENBLAS_NUM_THREADS,
    else OMP_NUM_THREADS, else one per usable core."""
    return thread_setting("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") or usable_cores()


def cpu_line() -> str:
    return f"CPU: {platform.machine()}, {usable_cores()} cores usable"


def numpy_line() -> str:
    """NumPy's version and which of the SIMD extensions its loops can dispatch to are in use."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # an older or differently built NumPy
        return f"NumPy {np.__version__}"
    found = [named(name) for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    missing = [named(name) for name in __cpu_dispatch__ if not __cpu_features__.get(name)]
    return f"NumPy {np.__version__}: SIMD {' '.join(found) or 'baseline only'} in use; not in use: {' '.join(missing) or '-'}"


def blas_lines() -> list[str]:
    """The BLAS libraries loaded, with their kernel set and threads (threadpoolctl reads them)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return [
            f"BLAS: {blas['name']} {blas.get('version', '')} (pip install threadpoolctl to see its kernels and threads)"
        ]
    libraries = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    return [
        f"BLAS: {lib['internal_api']} {lib['version']}, {named(lib.get('architecture') or '?')} kernels, "
        f"{lib['num_threads']} threads ({os.path.basename(lib['filepath'])})"
        for lib in libraries
    ] or ["BLAS: none loaded"]


def compiled_loops_line() -> str:
    from ..backends import numba as numba_backend

    if not numba_backend.is_available():
        return 'compiled loops: off, numba is not installed (pip install "npgrad[fast]")'
    import numba

    from ..backends import _numba_kernels  # noqa: F401  (sets numba's thread count)

    state = "on" if numba_backend.enabled else "off (NPGRAD_NUMBA=0)"
    return f"compiled loops: {state}, numba {numba.__version__}, {numba.get_num_threads()} threads"


def data_line() -> str:
    from ..datasets.storage import ENV_VAR, data_root

    root = data_root()
    folders = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    where = ENV_VAR if os.environ.get(ENV_VAR) else "default"
    return f"data folder ({where}): {root}, " + (f"holding {', '.join(folders)}" if folders else "empty or missing")


def describe() -> str:
    """The report `npgrad info` prints, one fact per line."""
    from .. import __version__

    lines = [f"npgrad {__version__}, Python {platform.python_version()}, {platform.system()}", cpu_line()]
    lines += [numpy_line(), *blas_lines(), compiled_loops_line(), data_line()]
    settings = [f"{name}={os.environ[name]}" for name in SETTINGS if name in os.environ]
    lines.append(f"settings: {' '.join(settings) or 'none'}")
    versions = [f"{name} {version}" for name in OPTIONAL if (version := installed_version(name))]
    lines.append(f"optional packages: {', '.join(versions) or 'none'}")
    return "\n".join(lines)
