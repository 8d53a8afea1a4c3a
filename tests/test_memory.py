"""npgrad keeps freed memory in the heap (npgrad/memory.py): a freed array's pages are reused
by the next array of its size without page faults, unless NPGRAD_KEEP_FREED_MEMORY=0."""

import os
import subprocess
import sys

import pytest

from npgrad import memory

# Like a training step: allocate and touch four 8 MiB arrays, free them, again; print the page
# faults of the last round.
FAULTS_OF_A_FRESH_ARRAY = """
import resource
import npgrad, numpy as np
def touch():
    arrays = [np.empty(2 * 2**20, np.float32) for _ in range(4)]
    for a in arrays:
        a.fill(1.0)
for _ in range(3):
    touch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
touch()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

glibc_only = pytest.mark.skipif(not memory._is_glibc(), reason="the setting exists in glibc's malloc only")


def page_faults(keep):
    env = dict(os.environ, NPGRAD_KEEP_FREED_MEMORY="1" if keep else "0")
    out = subprocess.run(
        [sys.executable, "-c", FAULTS_OF_A_FRESH_ARRAY], env=env, check=True, capture_output=True, text=True
    ).stdout
    return int(out.split()[-1])


@glibc_only
def test_glibc_takes_both_thresholds():
    assert memory.keep_freed_memory() is True


@glibc_only
def test_a_freed_array_is_reused_without_page_faults():
    assert page_faults(keep=True) < 100  # 4 x 8 MiB are 8,192 pages of 4 KiB


@glibc_only
def test_the_environment_can_turn_it_off():
    assert page_faults(keep=False) > 1000  # glibc handed pages back to the kernel and faulted them in again
