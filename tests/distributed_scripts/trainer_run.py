"""A small Trainer run, the same code on one process or N.

    python -m npgrad.distributed.launch --nproc 2 trainer_run.py OUT_DIR EPOCHS [RESUME_CHECKPOINT]
writes OUT_DIR/last.safetensors and metrics.csv (rank 0), prints progress lines (rank 0), and
OUT_DIR/final_rank<r>.npz, every rank's final weights, and OUT_DIR/tested_rank<r>.json, what
Trainer.evaluate returned on all 96 samples afterwards and how many of them that rank evaluated.
run() is the one-process version.
"""

import json
import sys

import numpy as np

import npgrad
from npgrad import nn
import npgrad.distributed as dist
from npgrad.data import DataLoader, TensorDataset
from npgrad.train import CSVLogger, ModelCheckpoint, ProgressBar, Trainer


class CountingTrainer(Trainer):
    """A Trainer that counts the samples its eval_step sees."""

    evaluated = 0

    def eval_step(self, batch):
        self.evaluated += len(batch[0])
        return super().eval_step(batch)


def data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((96, 8)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1)


def run(out_dir, epochs, resume=None):
    npgrad.manual_seed(0)
    x, y = data()
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
    optimizer = npgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    callbacks = [
        ModelCheckpoint(f"{out_dir}/last.safetensors"),
        CSVLogger(f"{out_dir}/metrics.csv", append=resume is not None),
        ProgressBar(use_tqdm=False),
    ]
    trainer = CountingTrainer(model, optimizer, nn.CrossEntropyLoss(), metrics=["accuracy"], callbacks=callbacks)
    train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True, generator=5)
    val = DataLoader(TensorDataset(x[64:], y[64:]), batch_size=10)
    trainer.fit(train, val, epochs=epochs, resume=resume)
    return trainer


def tested(trainer):
    """Trainer.evaluate on all the samples, and how many of them this process evaluated."""
    trainer.evaluated = 0
    result = trainer.evaluate(DataLoader(TensorDataset(*data()), batch_size=32))
    return {"result": result, "evaluated": trainer.evaluated}


def weights(model):
    return {k: np.array(v) for k, v in model.state_dict().items()}


if __name__ == "__main__":
    dist.init_process_group()
    out, epochs = sys.argv[1], int(sys.argv[2])
    trainer = run(out, epochs, sys.argv[3] if len(sys.argv) > 3 else None)
    rank = dist.get_rank()
    np.savez(f"{out}/final_rank{rank}.npz", **weights(trainer.model))
    with open(f"{out}/history_rank{rank}.json", "w") as f:
        json.dump(trainer.history.history, f)
    with open(f"{out}/tested_rank{rank}.json", "w") as f:
        json.dump(tested(trainer), f)
