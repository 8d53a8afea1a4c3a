"""The main job's time to result: `npgrad train` against the same recipe in PyTorch, back to back.

    python benchmarks/time_to_result.py                  # 2 rounds, npgrad --nproc 2, PyTorch 2 threads
    python benchmarks/time_to_result.py --rounds 3 --nproc 1 --epochs 1

Each round runs `python benchmarks/mnist_train_torch.py --threads T` and `npgrad train --nproc N`
in fresh processes, one after the other (which goes first alternates, so a drift in the
machine's speed does not always favour the same side), and times each from start to exit:
starting Python, loading the data, training, validating and testing. Prints one line per run
and, at the end, each round's ratio npgrad / PyTorch and their median. PyTorch (torch==2.13.0)
must be importable from --torch-python.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed_run(command):
    """(wall seconds, the run's output) of one command, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def run_torch(args):
    command = [args.torch_python, os.path.join(HERE, "mnist_train_torch.py")]
    seconds, output = timed_run(command + ["--threads", str(args.threads), "--epochs", str(args.epochs)])
    return seconds, json.loads(output.strip().splitlines()[-1])["test_accuracy"]


def run_npgrad(args, out_dir):
    command = [sys.executable, "-m", "npgrad.cli", "train", "--nproc", str(args.nproc)]
    seconds, _ = timed_run(command + ["--epochs", str(args.epochs), "--out", out_dir])
    with open(os.path.join(out_dir, "result.json")) as f:
        return seconds, json.load(f)["test_accuracy"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--nproc", type=int, default=2, help="npgrad train's processes")
    p.add_argument("--threads", type=int, default=2, help="PyTorch's threads")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--torch-python", default=sys.executable)
    args = p.parse_args()
    for name in ("rounds", "nproc", "threads", "epochs"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    ratios = []
    with tempfile.TemporaryDirectory() as out_dir:
        for round_index in range(args.rounds):
            order = ["torch", "npgrad"] if round_index % 2 == 0 else ["npgrad", "torch"]
            times = {}
            for side in order:
                seconds, accuracy = run_torch(args) if side == "torch" else run_npgrad(args, out_dir)
                times[side] = seconds
                print(f"round {round_index + 1} {side:<6} {seconds:7.1f} s  test accuracy {accuracy:.2%}", flush=True)
            ratios.append(times["npgrad"] / times["torch"])
    print("npgrad / PyTorch:", ", ".join(f"{r:.2f}" for r in ratios), f"(median {statistics.median(ratios):.2f})")


if __name__ == "__main__":
    main()
