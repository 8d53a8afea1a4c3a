"""Time a workload in npgrad and in PyTorch in the same session and print the ratio.

    python benchmarks/compare.py --workload mlp --threads 2 --rounds 3

Each round runs the PyTorch reference and then npgrad, each in a fresh process with the
thread count pinned; the ratio of the medians over rounds is reported (npgrad / PyTorch,
lower is better). The PyTorch side needs torch==2.13.0 in the interpreter given by --torch-python.

The last column names the OpenBLAS kernels NumPy ran (threadpoolctl's `architecture`). Some
machines pin OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in their environment because older
OpenBLAS builds misbehave on their CPU; the NumPy that npgrad installs runs slower kernels
under that pin. To measure without it, unset both for this command alone:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/compare.py --workload lstm
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.environ.get("NPGRAD_BENCH_DIR", os.path.join(HERE, "..", "..", "shared", "bench"))


def run(script, workload, threads, python):
    out = subprocess.run(
        [python, script, "--workload", workload, "--threads", str(threads)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def openblas_kernels(record):
    """The OpenBLAS architecture an npgrad run used, from threadpoolctl's report ('?' without it)."""
    names = {lib.get("architecture") for lib in record.get("blas", []) if lib.get("internal_api") == "openblas"}
    return ", ".join(sorted(n for n in names if n)) or "?"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", default="mlp")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--torch-python", default=sys.executable)
    args = p.parse_args()
    print(
        "| workload | threads | PyTorch ms | npgrad ms | ratio | npgrad peak RSS MB | PyTorch peak RSS MB | foreign load "
        "| OpenBLAS kernels |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for threads in args.threads:
        torch_runs, np_runs = [], []
        for _ in range(args.rounds):
            torch_runs.append(run(os.path.join(BENCH_DIR, "torch_ref.py"), args.workload, threads, args.torch_python))
            np_runs.append(run(os.path.join(HERE, "npgrad_ref.py"), args.workload, threads, sys.executable))
        t = statistics.median(r["median_ms"] for r in torch_runs)
        n = statistics.median(r["median_ms"] for r in np_runs)
        load = max(r["foreign_load_cores"] for r in torch_runs + np_runs)
        print(
            f"| {args.workload} | {threads} | {t:.1f} | {n:.1f} | {n / t:.2f} | "
            f"{max(r['peak_rss_mb'] for r in np_runs):.0f} | {max(r['peak_rss_mb'] for r in torch_runs):.0f} | "
            f"{load:.2f} | {openblas_kernels(np_runs[0])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
