"""Training an image classifier end to end: what `npgrad train` and `npgrad eval` run.

train_classifier(out_dir, dataset=..., model=...) trains a zoo model on MNIST, Fashion-MNIST or
Sign Language MNIST. Data: the training set less a held-out validation set (the last 5,000
images of a seeded shuffle), standardised with the training mean and std; the test set is
touched once, at the end, by the weights that did best on validation. Writes into out_dir:
config.json, best.safetensors and last.safetensors (checkpoints), metrics.csv, curves.png.
evaluate_checkpoint(path) tests such a checkpoint again. The pieces work alone too:
load_data (the three standardised splits), loader, and fit (cross-entropy and accuracy with the
Trainer, optionally with one npgrad.train.StepProgress bar over all its steps).
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from npgrad import manual_seed, models, nn, optim
from npgrad.analysis.plots import plot_history, pyplot_or_none
from npgrad.data import DataLoader, TensorDataset
from npgrad.datasets import MNIST, FashionMNIST, SignLanguageMNIST
from npgrad.io import load_weights
from npgrad.train import CSVLogger, ModelCheckpoint, ProgressBar, StepProgress, Trainer
from npgrad.train.distributed import is_main_process
from npgrad.types import Split


DATASETS = {"mnist": MNIST, "fashion-mnist": FashionMNIST, "sign-language-mnist": SignLanguageMNIST}
OPTIMIZERS = {
    "adam": lambda params, lr: optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: optim.AdamW(params, lr=lr),
    "sgd": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "rmsprop": lambda params, lr: optim.RMSprop(params, lr=lr),
    "adagrad": lambda params, lr: optim.Adagrad(params, lr=lr),
}
DEFAULTS = {
    "dataset": "mnist",
    "model": "mnist_cnn",
    "epochs": 3,
    "batch_size": 128,
    "lr": 1e-3,
    "optimizer": "adam",
    "seed": 0,
    "val_size": 5000,
}


def load_data(
    dataset: str, seed: int, val_size: int, train_limit: int | None = None, test_limit: int | None = None
) -> tuple[list[Split], list[str]]:
    """(train, val, test) as (x float32 (N, 1, H, W) standardised, y int64) and the class names.
    Validation is the last val_size images of a seeded shuffle of the training set; train_limit
    keeps only that many of the others for training, test_limit the first test images."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(sorted(DATASETS))}")
    train, test = DATASETS[dataset](train=True), DATASETS[dataset](train=False)
    x, y = train.arrays()
    order = np.random.default_rng(seed).permutation(len(x))
    splits = [(x[part], y[part]) for part in (order[:-val_size][:train_limit], order[-val_size:])]
    splits.append(tuple(part[:test_limit] for part in test.arrays()))
    mean, std = float(splits[0][0].mean()), float(splits[0][0].std())
    for images, _ in splits:  # in place: each split's images are copied from x only once
        images -= mean
        images /= std
    return splits, list(train.classes)


def build_model(config: dict[str, Any], in_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return models.create(config["model"], in_shape=in_shape, num_classes=num_classes)


def loader(split: Split, batch_size: int, shuffle: bool = False, seed: int | None = None) -> DataLoader:
    return DataLoader(TensorDataset(*split), batch_size=batch_size, shuffle=shuffle, generator=seed)


def fit(
    model: nn.Module,
    optimizer: optim.Optimizer,
    train: Split,
    val: Split,
    epochs: int,
    batch_size: int,
    seed: int | None,
    progress_label: str | None = None,
    **trainer_options: Any,
) -> Trainer:
    """Train model on the (x, y) arrays `train`, validating on `val` after each epoch, with
    cross-entropy and accuracy; returns the Trainer (its .history holds the curves).
    progress_label: show one bar over all the steps, with time left, under that label."""
    bar = [StepProgress(progress_label)] if progress_label else []
    options = {**trainer_options, "callbacks": [*trainer_options.get("callbacks", ()), *bar]}
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), metrics=["accuracy"], **options)
    trainer.fit(loader(train, batch_size, True, seed), loader(val, 1000), epochs=epochs)
    return trainer


def train_classifier(
    out_dir: str | os.PathLike, quick: bool = False, progress: bool = True, **options: Any
) -> dict[str, Any]:
    """Train, keep the best-on-validation weights, test them; returns the result dict."""
    config = {**DEFAULTS, **options}
    if quick:
        config.update(epochs=min(config["epochs"], 2), train_limit=2000, val_size=1000, test_limit=2000)
    manual_seed(config["seed"])
    (train, val, test), classes = load_data(
        config["dataset"], config["seed"], config["val_size"], config.get("train_limit"), config.get("test_limit")
    )
    model = build_model(config, train[0].shape[1:], len(classes))
    optimizer = OPTIMIZERS[config["optimizer"]](model.parameters(), config["lr"])
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config["epochs"])
    os.makedirs(out_dir, exist_ok=True)
    if is_main_process():  # one writer when trained as N processes
        with open(os.path.join(out_dir, "config.json"), "w") as f:
            json.dump({**config, "in_shape": list(train[0].shape[1:]), "classes": classes}, f, indent=2)
    best = os.path.join(out_dir, "best.safetensors")
    callbacks = [
        ModelCheckpoint(best, monitor="val_accuracy", save_best_only=True),
        ModelCheckpoint(os.path.join(out_dir, "last.safetensors")),
        CSVLogger(os.path.join(out_dir, "metrics.csv")),
    ] + ([ProgressBar()] if progress else [])
    trainer = fit(
        model,
        optimizer,
        train,
        val,
        config["epochs"],
        config["batch_size"],
        config["seed"],
        scheduler=scheduler,
        callbacks=callbacks,
    )
    load_weights(best, model)
    tested = trainer.evaluate(loader(test, 1000))
    result = summarise(config, trainer.history.history, tested, out_dir)
    print(
        f"\ntest accuracy {tested['accuracy']:.2%} (the epoch {result['best_epoch']} weights, "
        f"best on validation) - {config['dataset']}, {config['model']}"
    )
    return result


def summarise(
    config: dict[str, Any], history: dict[str, list[float]], tested: dict[str, float], out_dir: str | os.PathLike
) -> dict[str, Any]:
    best_epoch = int(np.argmax(history["val_accuracy"])) + 1
    figures = []
    if pyplot_or_none() is not None and is_main_process():
        figures.append(
            plot_history(
                history, os.path.join(out_dir, "curves.png"), title=f"{config['model']} on {config['dataset']}"
            )
        )
    return {
        "config": config,
        "test_accuracy": tested["accuracy"],
        "test_loss": tested["loss"],
        "best_epoch": best_epoch,
        "best_val_accuracy": history["val_accuracy"][best_epoch - 1],
        "history": history,
        "figures": figures,
    }


def evaluate_checkpoint(path: str | os.PathLike) -> dict[str, float]:
    """Rebuild the model from the run's config.json, load the checkpoint and test it."""
    config_path = os.path.join(os.path.dirname(os.path.abspath(path)), "config.json")
    if not os.path.exists(config_path):
        raise FileNotFoundError(
            f"{config_path} not found: `npgrad eval` needs the config.json "
            f"that `npgrad train` writes beside its checkpoints"
        )
    with open(config_path) as f:
        config = json.load(f)
    (_, _, test), classes = load_data(
        config["dataset"], config["seed"], config["val_size"], config.get("train_limit"), config.get("test_limit")
    )
    model = build_model(config, tuple(config["in_shape"]), len(classes))
    checkpoint = load_weights(path, model)
    tested = Trainer(model, None, nn.CrossEntropyLoss()).evaluate(loader(test, 1000))
    print(
        f"{path}: epoch {checkpoint['epoch']}, test accuracy {tested['accuracy']:.2%}, "
        f"test loss {tested['loss']:.4f} ({config['dataset']}, {config['model']})"
    )
    return tested
