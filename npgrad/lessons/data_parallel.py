"""The same global batch on 1 and 2 processes: same curve; all-reduce cost and projected speed-up.

Data parallelism — the same global batch on 1 or N processes, and what it costs.

The linear-scaling rule says: multiply the batch by k, multiply the learning rate by k. Seen
from the other side, splitting one global batch over N processes and averaging their gradients
(DistributedDataParallel) changes nothing about training: the loss curve on 2 processes is the
1-process curve. What it changes is speed. Each step every process sends and receives its
whole gradient (an all-reduce), so the speed-up is

    S(P) = P * T_compute / (T_compute + T_allreduce(P)),
    T_allreduce(P) = 2 (P - 1) alpha + 2 (P - 1) / P * n_bytes / beta   (ring all-reduce)

with alpha the latency and beta the bandwidth of a link. This lesson measures T_compute,
alpha and beta on this machine, compares 1 process x 2 threads with 2 processes x 1 thread,
times the overlap of the all-reduce with backward, and projects S to 8 and 64 processes
over a network of a given bandwidth. The processes are started by npgrad's shared-memory
launcher (`python -m npgrad.distributed.launch`), which needs nothing but the standard library;
each part runs as `python -m npgrad.lessons.data_parallel --worker CONFIG RESULT` under it. With
MPI installed (the `distributed` extra), the all-reduce is timed over MPI as well, beside MPI's
own ping-pong.
Every step ends when the slowest process has sent its gradient: on a machine whose cores are
shared with other programs, a step's time includes waiting for the process that was paused,
which the all-reduce model leaves out (compare the load average when reading the timings).
"""

import json
import os
import sys
import tempfile
import time

import numpy as np

from npgrad import Tensor, manual_seed, nn, optim, tensor
from npgrad import distributed as dist
from npgrad.analysis.plots import pyplot_or_none
from npgrad.data import DataLoader, TensorDataset
from npgrad.distributed.launch import find_mpiexec, launch_local, launch_mpi
from npgrad.lessons import main
from npgrad.nn.parallel import DistributedDataParallel
from npgrad.train import Callback, ProgressBar, Trainer
from npgrad.train.classifier import load_data
from npgrad.utils.progress import progress

GLOBAL_BATCH = 64


def small_cnn():
    """Two conv-ReLU-pool stages and a classifier: no dropout or BatchNorm, whose per-process
    randomness and statistics would make N processes differ from one."""
    manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 10),
    )


def wide_mlp():
    """784-512-256-10: 2.1 MB of gradients, several all-reduce buckets."""
    manual_seed(0)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )


# -- the parts, run on every process of a launch -----------------------------------------------
def _mnist(limit):
    (train, _, _), _ = load_data("mnist", seed=0, val_size=1000, train_limit=limit)
    return train


def _global_step_losses(losses):
    """A callback appending the loss of every global batch to `losses`: the mean of the
    ranks' losses on their equal shares."""

    class GlobalStepLosses(Callback):
        def on_batch_end(self, trainer, step, logs):
            total = Tensor(np.array([trainer.step_logs["loss"], 1.0]))
            dist.all_reduce(total)
            losses.append(float(total._data[0] / total._data[1]))

    return GlobalStepLosses()


def part_curve(config):
    """Per-step training loss of the small CNN on MNIST, global batch 64, SGD."""
    x, y = _mnist(config["train_images"])
    losses = []
    model = small_cnn()
    trainer = Trainer(
        model,
        optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
        nn.CrossEntropyLoss(),
        metrics=[],
        callbacks=[_global_step_losses(losses), ProgressBar()],
    )
    trainer.fit(DataLoader(TensorDataset(x, y), GLOBAL_BATCH, shuffle=True, generator=0), epochs=1)
    return {"losses": losses}


def _seconds_per_step(model, x, y, steps, world, rank, bucket_cap_mb=25):
    """Median seconds of one training step (forward, backward with its all-reduces, SGD
    update) of `model` on this rank's share of the batch (x, y)."""
    wrapped = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb) if world > 1 else model
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    share = slice(rank * len(x) // world, (rank + 1) * len(x) // world)
    inputs, targets = tensor(x[share]), tensor(y[share])
    times = []
    for _ in range(steps + 1):  # the first step warms up
        dist.barrier()
        started = time.perf_counter()
        optimizer.zero_grad()
        nn.functional.cross_entropy(wrapped(inputs), targets).backward()
        optimizer.step()
        times.append(time.perf_counter() - started)
    return float(np.median(times[1:]))


def part_throughput(config, world, rank):
    """Images per second of the small CNN at global batch 128."""
    x, y = _mnist(256)
    seconds = _seconds_per_step(small_cnn(), x[:128], y[:128], config["steps"], world, rank)
    return {"seconds_per_step": seconds, "images_per_second": 128 / seconds}


def part_overlap(config, world, rank):
    """Seconds per step of the wide MLP, global batch 64: all-reduces overlapping backward
    (buckets of 0.5 MB), one all-reduce after backward (one bucket), and no communication (this
    rank's share alone)."""
    x, y = _mnist(256)
    x, y, steps = x[:GLOBAL_BATCH], y[:GLOBAL_BATCH], config["steps"]
    half = slice(0, GLOBAL_BATCH // world)
    return {
        "overlapped": _seconds_per_step(wide_mlp(), x, y, steps, world, rank, bucket_cap_mb=0.5),
        "after backward": _seconds_per_step(wide_mlp(), x, y, steps, world, rank, bucket_cap_mb=1000),
        "no communication": _seconds_per_step(wide_mlp(), x[half], y[half], steps, 1, 0),
    }


def part_allreduce(config, world, rank):
    """Median seconds of npgrad's all_reduce by message size, on 2 or more processes; over MPI
    also of MPI's own ping-pong (Send then Recv, half the round trip)."""
    sizes = [2**k for k in range(10, config["max_log2_bytes"] + 1, 2)]

    def median_seconds(operation, size):
        buffer, times = np.ones(size // 4, np.float32), []
        for _ in range(max(5, min(100, 2**22 // size))):
            dist.barrier()
            started = time.perf_counter()
            operation(buffer)
            times.append(time.perf_counter() - started)
        return float(np.median(times))

    measured = {
        "bytes": sizes,
        "allreduce_seconds": [median_seconds(lambda b: dist.all_reduce(Tensor(b)), size) for size in sizes],
    }
    if dist.get_backend() == "mpi":
        ping_pong = _ping_pong(rank)
        measured["pingpong_seconds"] = [median_seconds(ping_pong, size) / 2 for size in sizes]
    return measured


def _ping_pong(rank):
    """Rank 0 sends a buffer to rank 1 and receives it back, through MPI itself."""
    from mpi4py import MPI  # the `distributed` extra

    comm = MPI.COMM_WORLD

    def ping_pong(buffer):
        if rank == 0:
            comm.Send(buffer, dest=1)
            comm.Recv(buffer, source=1)
        elif rank == 1:
            comm.Recv(buffer, source=0)
            comm.Send(buffer, dest=0)

    return ping_pong


PARTS = {
    "curve": lambda config, world, rank: part_curve(config),
    "throughput": part_throughput,
    "overlap": part_overlap,
    "allreduce": part_allreduce,
}


def worker(config_path, result_path):
    """One process of a launch: run the configured parts; rank 0 writes the results."""
    dist.init_process_group()  # over shared memory or MPI, whichever launched this process
    world, rank = dist.get_world_size(), dist.get_rank()
    with open(config_path) as f:
        config = json.load(f)
    results = {part: PARTS[part](config, world, rank) for part in config["parts"]}
    if rank == 0:
        with open(result_path, "w") as f:
            json.dump(results, f)


def launch(nproc, threads, config, backend="shm"):
    """Run the parts of `config` on `nproc` processes of `threads` BLAS threads each, started by
    the shared-memory launcher, or by mpiexec with backend="mpi"."""
    with tempfile.TemporaryDirectory() as folder:
        config_path, result_path = os.path.join(folder, "config.json"), os.path.join(folder, "result.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        python_args = ["-m", "npgrad.lessons.data_parallel", "--worker", config_path, result_path]
        start = launch_mpi if backend == "mpi" else launch_local
        if start(nproc, python_args, timeout=1800, threads=threads) != 0:
            raise RuntimeError(f"a process of the {nproc}-process launch failed: see its message above")
        with open(result_path) as f:
            return json.load(f)


def mpi_ready():
    """Whether MPI can be launched here: mpi4py and an mpiexec (the `distributed` extra)."""
    if not dist.is_mpi_available():
        return False
    try:
        find_mpiexec()
    except RuntimeError:
        return False
    return True


# -- the model of the all-reduce and the projection -------------------------------------------
def latency_bandwidth(sizes, seconds):
    """(alpha, beta) of t = alpha + n / beta: alpha the time of the smallest message, beta the
    largest message's bytes over its time beyond alpha (robust to timing noise, unlike a fit)."""
    alpha, largest = seconds[0], seconds[-1]
    return alpha, sizes[-1] / (largest - alpha if largest > 2 * alpha else largest)


def ring_allreduce_seconds(processes, n_bytes, alpha, beta):
    """2 (P - 1) steps of n / P bytes each way around the ring (reduce-scatter, all-gather)."""
    return 2 * (processes - 1) * alpha + 2 * (processes - 1) / processes * n_bytes / beta


def speedup(processes, compute_seconds, n_bytes, alpha, beta):
    """P processes each computing one step on their own batch, then all-reducing the gradient
    (no overlap): images per second relative to one process."""
    return processes * compute_seconds / (compute_seconds + ring_allreduce_seconds(processes, n_bytes, alpha, beta))


def _gradient_bytes(model):
    return sum(p._data.nbytes for p in model.parameters())


def plot(curves, sizes, timings, workloads, links, path):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for label, losses in curves.items():
        axes[0].plot(np.arange(1, len(losses) + 1), losses, label=label, lw=1)
    axes[0].set(xlabel="step", ylabel="training loss (global batch)", title="same global batch of 64")
    for label, seconds in timings.items():
        axes[1].loglog(sizes, np.asarray(seconds) * 1e6, "o-", label=label)
    axes[1].set(xlabel="message size (bytes)", ylabel="microseconds", title="communication cost on this machine")
    processes = np.array([1, 2, 4, 8, 16, 32, 64])
    axes[2].loglog(processes, processes, "k:", label="ideal")
    for work, (compute, n_bytes) in workloads.items():
        for (link, (alpha, beta)), style in zip(links.items(), ("o-", "s--")):
            axes[2].loglog(
                processes,
                [speedup(p, compute, n_bytes, alpha, beta) for p in processes],
                style,
                label=f"{work} ({n_bytes / 1e6:.2f} MB, {compute * 1e3:.1f} ms), {link}",
            )
    axes[2].set(
        xlabel="processes", ylabel="speed-up (images/s vs 1 process)", title="projected: ring all-reduce, no overlap"
    )
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run(out_dir, quick=False, network_gbit=10.0, network_latency_us=20.0):
    steps, max_log2_bytes = (3, 20) if quick else (30, 24)
    curve_config = {"parts": ["curve"], "train_images": 640 if quick else 9600}
    launches = [  # (processes, threads each, what they run)
        (1, 1, {**curve_config, "parts": ["curve", "throughput"], "steps": steps}),
        (1, 2, {"parts": ["throughput"], "steps": steps}),
        (
            2,
            1,
            {
                **curve_config,
                "parts": ["curve", "throughput", "overlap", "allreduce"],
                "steps": steps,
                "max_log2_bytes": max_log2_bytes,
            },
        ),
    ]
    if mpi_ready():  # the all-reduce over MPI too, beside MPI's own ping-pong
        launches.append((2, 1, {"parts": ["allreduce"], "max_log2_bytes": max_log2_bytes}, "mpi"))
    one, one_two_threads, two, *over_mpi = (
        launch(*arguments) for arguments in progress(launches, desc="launches", unit="launch")
    )
    curves = {"1 process": one["curve"]["losses"], "2 processes": two["curve"]["losses"]}
    curve_gap = float(np.max(np.abs(np.subtract(*curves.values()))))
    sizes = two["allreduce"]["bytes"]
    timings = {"npgrad all_reduce, shared memory": two["allreduce"]["allreduce_seconds"]}
    if over_mpi:
        timings["npgrad all_reduce, MPI"] = over_mpi[0]["allreduce"]["allreduce_seconds"]
        timings["MPI ping-pong (one way)"] = over_mpi[0]["allreduce"]["pingpong_seconds"]
    communication = {label: latency_bandwidth(sizes, seconds) for label, seconds in timings.items()}
    alpha, beta = communication["npgrad all_reduce, shared memory"]
    workloads = {  # (compute seconds of one process's step, gradient bytes)
        "small CNN, 128/process": (one["throughput"]["seconds_per_step"], _gradient_bytes(small_cnn())),
        "wide MLP, 32/process": (two["overlap"]["no communication"], _gradient_bytes(wide_mlp())),
    }
    links = {
        "shared memory": (alpha / 2, beta),  # a 2-process ring all-reduce takes 2 alpha
        f"{network_gbit:g} Gbit/s": (network_latency_us * 1e-6, network_gbit * 1e9 / 8),
    }
    projections = {
        f"{work}, {link}": {p: speedup(p, compute, n_bytes, a, b) for p in (8, 64)}
        for work, (compute, n_bytes) in workloads.items()
        for link, (a, b) in links.items()
    }
    throughput = {
        "1 process x 1 thread": one["throughput"]["images_per_second"],
        "1 process x 2 threads": one_two_threads["throughput"]["images_per_second"],
        "2 processes x 1 thread": two["throughput"]["images_per_second"],
    }
    overlap_ms = {label: seconds * 1e3 for label, seconds in two["overlap"].items()}
    print(
        f"largest gap between the 1- and 2-process loss curves: {curve_gap:.2e} over {len(curves['1 process'])} steps"
    )
    for label, rate in throughput.items():
        print(f"small CNN, global batch 128, {label:<24} {rate:8.0f} images/s")
    for label, (latency, bandwidth) in communication.items():
        print(f"{label}, 2 processes: latency {latency * 1e6:.1f} us, bandwidth {bandwidth / 1e9:.2f} GB/s")
    for label, ms in overlap_ms.items():
        print(f"wide MLP step, 2 processes, {label:<18} {ms:7.2f} ms")
    for label, values in projections.items():
        print(f"projected speed-up, {label}: {values[8]:.1f}x on 8, {values[64]:.1f}x on 64 processes")
    figure = plot(curves, sizes, timings, workloads, links, os.path.join(out_dir, "data_parallel.png"))
    return {
        "curve_gap": curve_gap,
        "steps": len(curves["1 process"]),
        "throughput_images_per_second": throughput,
        "communication": {
            label: {"latency_s": latency, "bandwidth_Bps": bandwidth}
            for label, (latency, bandwidth) in communication.items()
        },
        "overlap_ms_per_step": overlap_ms,
        "projected_speedup": projections,
        "workloads": workloads,
        "network": {"gbit_per_s": network_gbit, "latency_us": network_latency_us},
        "figures": [figure] if figure else [],
    }


READ_NEXT = """
the all-reduce: npgrad/distributed/process_group.py all_reduce, npgrad/distributed/shared_memory.py (over shared memory)
the launchers: npgrad/distributed/launch.py launch_local and mpiexec_command
gradients averaged in buckets while backward runs: npgrad/nn/parallel/distributed.py DistributedDataParallel
the Trainer on N processes: npgrad/train/distributed.py, npgrad/data/distributed.py DistributedSampler
the page: docs/lessons/data-parallel.md
"""

if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:  # one process of a launch()
        worker(*sys.argv[2:4])
    else:
        main(run)
