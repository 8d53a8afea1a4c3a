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


# The same with arrays of 64 MiB: above glibc's largest threshold, only keep_large_arrays keeps them.
FAULTS_OF_A_LARGE_ARRAY = FAULTS_OF_A_FRESH_ARRAY.replace("2 * 2**20", "16 * 2**20")


def large_array_page_faults(keep_large):
    setting = "from npgrad import memory; assert memory.keep_large_arrays()\n" if keep_large else ""
    out = subprocess.run(
        [sys.executable, "-c", setting + FAULTS_OF_A_LARGE_ARRAY], check=True, capture_output=True, text=True
    ).stdout
    return int(out.split()[-1])


@glibc_only
def test_keep_large_arrays_reuses_a_freed_64_mib_array_without_page_faults():
    # 4 x 64 MiB are 65,536 pages of 4 KiB, or 128 huge pages of 2 MiB where NumPy gets them
    assert large_array_page_faults(keep_large=False) >= 128
    assert large_array_page_faults(keep_large=True) < 16


@pytest.mark.parametrize("setting, kept", [("1", True), ("0", False)])
def test_the_npgrad_command_keeps_large_arrays_unless_turned_off(setting, kept):
    code = (
        "import sys; from npgrad import cli, memory\n"
        "memory.keep_large_arrays = lambda: print('kept')\n"
        "sys.argv = ['npgrad', 'list']; cli.run()"
    )
    env = dict(os.environ, NPGRAD_KEEP_FREED_MEMORY=setting)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout
    assert out.startswith("kept") is kept
