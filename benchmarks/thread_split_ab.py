"""What the thread split of npgrad/_threads.py buys: training steps with it off and on, in turn.

    python benchmarks/thread_split_ab.py --workload mnist_cnn --threads 2

In one process, alternates blocks of 3 steps of npgrad_ref.py's workload with the split off
(workers() = 1: every loop in order on the calling thread, OpenBLAS threading each GEMM itself,
as before the split) and on (chunks and blocks on BLAS's threads, OpenBLAS one thread a call),
12 blocks each, and prints the median step time of each and their ratio. Taking the steps in
turn in one process cancels slow drifts in the machine's load; the load average is printed,
as figures taken beside other work say little about a quiet machine.
"""

import os
import runpy
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.environ.get("NPGRAD_BENCH_DIR", os.path.join(HERE, "..", "..", "shared", "bench"))
sys.path[:0] = [HERE, BENCH_DIR]
os.environ["BENCH_QUIET_WAIT"] = "0"
import common  # noqa: E402

BLOCKS, STEPS_PER_BLOCK = 12, 3


def split_on(on, functions={}):  # noqa: B006 (remembers the real workers() across calls)
    import npgrad._threads
    import npgrad.functional.conv

    functions.setdefault("real", npgrad._threads.workers)
    npgrad._threads.workers = npgrad.functional.conv.workers = functions["real"] if on else (lambda: 1)


def alternate(step, warmup=5, steps=30):
    for _ in range(warmup):
        step()
    times = {False: [], True: []}
    for block in range(BLOCKS):
        for on in (False, True) if block % 2 == 0 else (True, False):
            split_on(on)
            for _ in range(STEPS_PER_BLOCK):
                start = time.perf_counter()
                step()
                times[on].append(time.perf_counter() - start)
    off, on = (1000 * statistics.median(times[key]) for key in (False, True))
    print(
        f"split off {off:.1f} ms, on {on:.1f} ms a step: on / off {on / off:.2f} (load average {os.getloadavg()[0]:.1f})"
    )
    sys.exit(0)


common.measure = alternate
sys.argv = [os.path.join(HERE, "npgrad_ref.py")] + sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
