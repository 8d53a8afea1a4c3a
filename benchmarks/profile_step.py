"""Where an npgrad training step's time goes: cProfile of npgrad_ref.py's workload.

    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_step.py --workload mnist_cnn --threads 1 --top 25

Counts CPU time (time.process_time), not wall time, so at 1 thread the profile barely moves
with other processes' load; at 2 threads a BLAS call counts the time of both of its threads.
Prints the `top` functions by own time (tottime) over warm-up and timed steps.
"""

import argparse
import cProfile
import os
import pstats
import runpy
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--top", type=int, default=25)
p.add_argument("--sort", default="tottime")
args, rest = p.parse_known_args()
os.environ["BENCH_QUIET_WAIT"] = "0"
sys.argv = [os.path.join(HERE, "npgrad_ref.py")] + rest
profiler = cProfile.Profile(time.process_time)
profiler.runcall(runpy.run_path, sys.argv[0], run_name="__main__")
pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)
