"""Keep freed memory for reuse, as deep-learning frameworks' caching allocators do.

A training step allocates the same large arrays (activations, gradients, gate buffers) every
time and frees them at the end. With glibc's defaults, malloc serves large arrays (over a
threshold that starts at 128 KiB and adapts up to 32 MiB) straight from the kernel with mmap
and unmaps them when they are freed, and it trims the heap as soon as its free top exceeds
twice that threshold: the next step then pays a page fault for every fresh 4 KiB page it
touches (3,600 a step in the `lstm` benchmark, a sixth of its time). `keep_freed_memory`
fixes the thresholds so that arrays up to 32 MiB come from the heap and freed memory stays
there for the next step: peak memory is the same, it is just not given back between steps.

npgrad applies it when imported. Set NPGRAD_KEEP_FREED_MEMORY=0 in the environment to keep
glibc's defaults; elsewhere than glibc (macOS, Windows, musl) it does nothing.

Arrays above 32 MiB still come from mmap, whatever the threshold. The `npgrad` command goes one
step further for its own process (`keep_large_arrays`): its training and evaluation loops make
arrays of 50 MB every batch (`mnist_cnn` evaluating 500 images at a time), and each one's pages
were faulted in afresh. It costs memory: freed holes that a later, larger array cannot use stay
in the heap (peak RSS 691 -> 826 MB a process in `npgrad train --nproc 2`). A library imported
into another program leaves that to the program: a heap that keeps its largest freed arrays does
not give their memory back until the process ends.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 * 2**20  # the largest value glibc documents for 64-bit machines
TRIM_THRESHOLD = 1 * 2**30


def _is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # no confstr, or no such name: not glibc
        return False


def keep_freed_memory(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Serve arrays under mmap_threshold bytes from the heap and give freed heap memory back to
    the system only above trim_threshold bytes. True if glibc took both settings."""
    if not _is_glibc():
        return False
    return _mallopt(M_MMAP_THRESHOLD, mmap_threshold) and _mallopt(M_TRIM_THRESHOLD, trim_threshold)


def keep_large_arrays() -> bool:
    """keep_freed_memory(), and arrays of every size from the heap (no mmap): a freed 50 MB
    array's pages serve the next one. True if glibc took the settings."""
    return keep_freed_memory() and _mallopt(M_MMAP_MAX, 0)


def _mallopt(parameter: int, value: int) -> bool:
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(parameter, value))


def enabled() -> bool:
    """False when the environment says NPGRAD_KEEP_FREED_MEMORY=0."""
    return os.environ.get("NPGRAD_KEEP_FREED_MEMORY", "1") != "0"


def keep_freed_memory_unless_disabled() -> None:
    """keep_freed_memory(), unless the environment says NPGRAD_KEEP_FREED_MEMORY=0."""
    if enabled():
        keep_freed_memory()
