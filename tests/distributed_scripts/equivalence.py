"""The same training on one process (the whole global batch) and on N processes (each its
share, DistributedDataParallel averaging the gradients).

    python -m npgrad.distributed.launch --nproc 2 equivalence.py OUT_DIR   # writes OUT_DIR/rank<r>.npz
    train(name, ...) in one process is the reference (tests/test_distributed.py imports it).
"""

import contextlib
import sys

import numpy as np

import npgrad
from npgrad import nn
import npgrad.distributed as dist
from npgrad.nn.parallel import DistributedDataParallel

RUNS = {"mlp": {}, "cnn_bn": {}, "lstm": {}, "mlp_no_sync": {"micro_batches": 2}}
SAMPLES, GLOBAL_BATCH, STEPS = 64, 16, 50


class LastStep(nn.Module):
    """LSTM over a sequence, a linear classifier on its last output."""

    def __init__(self):
        super().__init__()
        self.lstm, self.head = nn.LSTM(4, 8, batch_first=True), nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.lstm(x)[0][:, -1])


def make_model(name):
    npgrad.manual_seed(0)
    if name.startswith("mlp"):
        return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
    if name == "cnn_bn":
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    return LastStep()


def make_data(name):
    rng = np.random.default_rng(1)
    shape = {"mlp": (8,), "cnn_bn": (1, 8, 8), "lstm": (5, 4)}[name.split("_no_sync")[0]]
    x = rng.standard_normal((SAMPLES,) + shape).astype(np.float32)
    return x, rng.integers(0, 3, SAMPLES)


def _mean_loss_over_splits(model, x, y, splits):
    """Mean of the losses of `splits` equal parts, each its own forward (BatchNorm statistics
    per part, as on separate ranks); running statistics kept from the first part only, as
    DistributedDataParallel keeps rank 0's."""
    losses, first_buffers = [], None
    for part_x, part_y in zip(np.array_split(x, splits), np.array_split(y, splits)):
        losses.append(nn.functional.cross_entropy(model(npgrad.tensor(part_x)), npgrad.tensor(part_y)))
        if first_buffers is None:
            first_buffers = [b._data.copy() for b in model.buffers()]
    for buffer, kept in zip(model.buffers(), first_buffers):
        buffer._data[...] = kept
    return sum(losses) / splits


def train(name, replicas=1, rank=0, splits=1, micro_batches=1, steps=STEPS):
    """Train `name` for `steps` SGD steps; on rank `rank` of `replicas` processes, this rank
    takes its contiguous share of every global batch, in `micro_batches` backward passes
    (all but the last under no_sync). Returns the trained (wrapped) model."""
    model = make_model(name)
    if dist.is_initialized():  # small buckets: several all-reduces per backward
        model = DistributedDataParallel(model, bucket_cap_mb=0.001)
    optimizer = npgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = make_data(name)
    order = np.random.default_rng(2)
    for _ in range(steps):
        batch = np.array_split(order.choice(SAMPLES, GLOBAL_BATCH, replace=False), replicas)[rank]
        optimizer.zero_grad()
        for i, micro in enumerate(np.array_split(batch, micro_batches)):
            last = i == micro_batches - 1
            with contextlib.nullcontext() if last or not dist.is_initialized() else model.no_sync():
                (_mean_loss_over_splits(model, x[micro], y[micro], splits) / micro_batches).backward()
        optimizer.step()
    return model


def state_arrays(model):
    module = getattr(model, "module", model)
    return {k: np.array(v) for k, v in module.state_dict().items()}


if __name__ == "__main__":
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    arrays = {
        f"{name}/{key}": value
        for name, options in RUNS.items()
        for key, value in state_arrays(train(name, world, rank, **options)).items()
    }
    np.savez(f"{sys.argv[1]}/rank{rank}.npz", **arrays)
