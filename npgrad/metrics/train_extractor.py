"""Train the FID feature extractors shipped in npgrad/metrics/files/ (fixed seed, so a rerun on
the same machine gives the same weights):

    python -m npgrad.metrics.train_extractor --dataset mnist
    NPGRAD_DATA=/path/to/data python -m npgrad.metrics.train_extractor --dataset fashion-mnist

FeatureCNN, Adam 1e-3, batch 128, 8 epochs on the 60,000 training images in [0, 1] (no
augmentation), seed 0; prints and stores the test accuracy beside the weights.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

from .. import manual_seed, nn, optim
from ..data import DataLoader, TensorDataset
from ..datasets import MNIST, FashionMNIST
from ..io import save
from ..train import ProgressBar, Trainer
from .extractor import EXTRACTORS, FeatureCNN, weights_path

DATASETS = {"mnist": MNIST, "fashion-mnist": FashionMNIST}


def train_extractor(
    dataset: str = "mnist",
    epochs: int = 8,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    train_limit: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train a FeatureCNN on `dataset`, save it (weights and info) to `out` (default: the
    shipped file) and return the info dict with its test accuracy."""
    manual_seed(seed)
    (x, y), (x_test, y_test) = (DATASETS[dataset](train=split).arrays() for split in (True, False))
    model = FeatureCNN()
    trainer = Trainer(
        model,
        optim.Adam(model.parameters(), lr=1e-3),
        nn.CrossEntropyLoss(),
        metrics=["accuracy"],
        callbacks=[ProgressBar()] if progress else [],
    )
    train = DataLoader(TensorDataset(x[:train_limit], y[:train_limit]), batch_size=128, shuffle=True, generator=seed)
    trainer.fit(train, epochs=epochs)
    accuracy = trainer.evaluate(DataLoader(TensorDataset(x_test, y_test), batch_size=1000))["accuracy"]
    info = {
        "dataset": dataset,
        "epochs": epochs,
        "seed": seed,
        "train_images": len(train.dataset),
        "test_accuracy": accuracy,
        "command": f"python -m npgrad.metrics.train_extractor --dataset {dataset}",
    }
    out = out or weights_path(dataset)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    save({"model": model.state_dict(), "info": info}, out)
    print(f"{dataset} feature extractor: test accuracy {accuracy:.2%}, written to {out}")
    return info


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=EXTRACTORS, default="mnist")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="where to write the weights (default: the shipped file)")
    args = parser.parse_args(argv)
    train_extractor(args.dataset, args.epochs, args.seed, args.out)


if __name__ == "__main__":
    main()
