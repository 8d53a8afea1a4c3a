"""npgrad against PyTorch on every reference workload, in one table.

    python benchmarks/compare.py                                   # the whole table
    python benchmarks/compare.py --workloads cnn gan --threads 2 --kernels unpinned --rounds 5

For every workload, thread count and OpenBLAS kernel set, each round runs the PyTorch step
and the npgrad step in fresh processes, one after the other (which goes first alternates);
ratio = npgrad / PyTorch step time, the median of the rounds' ratios (lower is better), so a
change in the machine's load between rounds cancels. The ms columns are medians over rounds;
RSS is the peak resident memory of each process. `load` is the most CPU (in cores) that other
processes used during any of the timings: above ~0.2 the numbers are contaminated.

Kernel sets: some machines pin OpenBLAS to older kernels in their environment
(OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE), which a user's machine usually does not. `pinned` runs
the children with the environment as it is, `unpinned` with those two variables removed; the
column names the kernels NumPy's OpenBLAS ran. Without a pin in the environment the two are
one and only `unpinned` runs.

`avx2` compares the two frameworks as they run on a CPU without AVX-512 (most laptops and
desktops): every library's AVX-512 code is switched off, in both processes (see AVX2_ONLY).
On such a CPU PyTorch's MKL and oneDNN lose their AVX-512 kernels just as OpenBLAS does, while
`pinned` pits npgrad's AVX2 products against PyTorch's AVX-512 ones. The kernels column then
also names PyTorch's CPU capability.

The PyTorch side is ../shared/bench/torch_ref.py, or our torch_extra.py for the workloads it
lacks (mnist_cnn); it needs torch==2.13.0 in the interpreter given by --torch-python.
Set BENCH_QUIET_WAIT=0 not to wait for a quiet machine before each timing.

Loops: `numba` runs npgrad with its compiled loops (npgrad.backends.numba, installed with
`[fast]`), `numpy` with NPGRAD_NUMBA=0, its NumPy code only; the default is numba
when it is installed.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys

import extra_workloads

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.environ.get("NPGRAD_BENCH_DIR", os.path.join(HERE, "..", "..", "shared", "bench"))
WORKLOADS = ["mlp", "cnn", "lstm", "gan", "vae", "gpt"] + extra_workloads.WORKLOADS
PIN = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
KERNEL_SETS = ["pinned", "unpinned", "avx2"]
AVX2_ONLY = {
    "OPENBLAS_CORETYPE": "Haswell",  # OpenBLAS: its AVX2 kernels
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",  # NumPy's own loops: AVX2 at most
    "NUMBA_CPU_NAME": "haswell",  # npgrad's compiled loops: compiled for an AVX2 CPU
    "ATEN_CPU_CAPABILITY": "avx2",  # PyTorch's own kernels
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",  # PyTorch's GEMMs
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # PyTorch's convolutions and LSTM
}


def torch_script(workload):
    if workload in extra_workloads.WORKLOADS:
        return os.path.join(HERE, "torch_extra.py")
    return os.path.join(BENCH_DIR, "torch_ref.py")


def run(python, script, workload, threads, env, args):
    command = [python, script, "--workload", workload, "--threads", str(threads)]
    command += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def kernel_env(kernels, loops):
    """The children's environment: as it is (pinned), without the OpenBLAS pin (unpinned) or
    with AVX2 at most everywhere (avx2); with npgrad's compiled loops on or off."""
    env = {k: v for k, v in os.environ.items() if kernels == "pinned" or k not in PIN}
    if kernels == "avx2":
        env.update(AVX2_ONLY)
    env["NPGRAD_NUMBA"] = "1" if loops == "numba" else "0"
    return env


def kernel_names(kernels, torch_record, npgrad_record):
    """The OpenBLAS architecture the npgrad run used (threadpoolctl's report, '?' without it);
    for avx2 also PyTorch's CPU capability."""
    openblas = [b for b in npgrad_record.get("blas", []) if b.get("internal_api") == "openblas"]
    names = ", ".join(sorted({b["architecture"] for b in openblas if b.get("architecture")}))
    if kernels == "avx2":
        names += f"; PyTorch {torch_record.get('cpu_capability', '?')}"
    return names or "?"


def pairs(args, workload, threads, kernels, loops):
    """`rounds` (PyTorch, npgrad) records, the first to run alternating between rounds."""
    env, rounds = kernel_env(kernels, loops), []
    for i in range(args.rounds):
        sides = [(args.torch_python, torch_script(workload)), (sys.executable, os.path.join(HERE, "npgrad_ref.py"))]
        order = sides if i % 2 == 0 else sides[::-1]
        records = {script: run(python, script, workload, threads, env, args) for python, script in order}
        rounds.append([records[script] for _, script in sides])
    return rounds


def row(workload, threads, kernels, loops, rounds):
    torch_ms = statistics.median(t["median_ms"] for t, _ in rounds)
    npgrad_ms = statistics.median(n["median_ms"] for _, n in rounds)
    ratio = statistics.median(n["median_ms"] / t["median_ms"] for t, n in rounds)
    rss_t = max(t["peak_rss_mb"] for t, _ in rounds)
    rss_n = max(n["peak_rss_mb"] for _, n in rounds)
    load = max(r["foreign_load_cores"] for pair in rounds for r in pair)
    return (
        f"| {workload} | {threads} | {kernels} ({kernel_names(kernels, *rounds[0])}) | {loops} | {torch_ms:.1f} | "
        f"{npgrad_ms:.1f} | **{ratio:.2f}** | {rss_n:.0f} / {rss_t:.0f} | {rss_n / rss_t:.2f} | {load:.2f} |"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", nargs="+", default=WORKLOADS, choices=WORKLOADS, metavar="NAME")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--kernels", nargs="+", default=KERNEL_SETS, choices=KERNEL_SETS)
    default_loops = ["numba"] if importlib.util.find_spec("numba") else ["numpy"]
    p.add_argument("--loops", nargs="+", default=default_loops, choices=["numba", "numpy"])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=30, help="timed steps per process")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps before them")
    p.add_argument("--torch-python", default=sys.executable)
    args = p.parse_args()
    pinned = any(v in os.environ for v in PIN)
    kernel_sets = [k for k in args.kernels if pinned or k != "pinned"]
    print(
        "| workload | threads | kernels | loops | PyTorch ms | npgrad ms | ratio | peak RSS MB npgrad / PyTorch "
        "| RSS ratio | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for workload in args.workloads:
        for threads in args.threads:
            for kernels in kernel_sets:
                for loops in args.loops:
                    rounds = pairs(args, workload, threads, kernels, loops)
                    print(row(workload, threads, kernels, loops, rounds), flush=True)


if __name__ == "__main__":
    main()
