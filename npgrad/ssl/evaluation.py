"""Judging an encoder by the task it was not trained for: a linear probe on its frozen features,
and fine-tuning the whole encoder, each on 1 %, 10 % or 100 % of the labels.

The labelled subset of a fraction is class-balanced and seeded (the same images for every
encoder at one seed). Each returns test accuracy.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from .. import manual_seed, nn, no_grad, optim, tensor
from ..data import DataLoader, TensorDataset
from ..nn.module import eval_mode
from ..train import Trainer
from ..types import Split


def labelled_subset(labels: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Indices of a class-balanced random `fraction` of the examples (at least one per class)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"labelled_subset: fraction must be in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        chosen.append(rng.permutation(members)[: max(1, int(round(fraction * len(members))))])
    return np.sort(np.concatenate(chosen))


def extract_features(
    encoder: nn.Module, images: np.ndarray, batch_size: int = 500, every_stage: bool = False
) -> np.ndarray:
    """The encoder's features of `images`, (N, feature_dim) float32, in eval mode without gradients;
    every_stage: its every_stage_features (ConvEncoder's pooled features of every stage) instead."""
    if every_stage and not callable(getattr(encoder, "every_stage_features", None)):
        raise TypeError(
            f"extract_features: every_stage needs an encoder with every_stage_features(images), as "
            f"npgrad.ssl.ConvEncoder has; {type(encoder).__name__} has none"
        )
    features = encoder.every_stage_features if every_stage else encoder
    with eval_mode(encoder), no_grad():
        return np.concatenate(
            [features(tensor(images[start : start + batch_size]))._data for start in range(0, len(images), batch_size)]
        )


def _fit_classifier(model, train, test, epochs, batch_size, lr, seed, weight_decay=0.0):
    """Adam on cross-entropy for `epochs` over train = (x, y); test accuracy."""
    manual_seed(seed)
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay), nn.CrossEntropyLoss())
    trainer.fit(DataLoader(TensorDataset(*train), batch_size=batch_size, shuffle=True, generator=seed), epochs=epochs)
    return trainer.evaluate(DataLoader(TensorDataset(*test), batch_size=1000))["accuracy"]


def steps_to_epochs(samples: int, steps: int, batch_size: int) -> int:
    """How many epochs over `samples` examples give about `steps` optimizer steps (at least 1)."""
    return max(1, int(round(steps * batch_size / samples)))


def linear_probe(
    encoder: nn.Module,
    train: Split,
    test: Split,
    fractions: Sequence[float] = (0.01, 0.1, 1.0),
    steps: int = 1500,
    batch_size: int = 256,
    lr: float = 1e-2,
    seed: int = 0,
    every_stage: bool = False,
) -> dict[float, float]:
    """Freeze the encoder, standardise its features, train a linear classifier on each fraction
    of the labels of train = (images, labels) for about `steps` steps; {fraction: test accuracy}.
    every_stage: probe the pooled features of every stage (extract_features) instead of the last."""
    train_features, test_features = (
        extract_features(encoder, images, every_stage=every_stage) for images in (train[0], test[0])
    )
    mean, std = train_features.mean(axis=0), train_features.std(axis=0) + 1e-6
    train_features, test_features = (train_features - mean) / std, (test_features - mean) / std
    classes = int(train[1].max()) + 1
    accuracies = {}
    for fraction in fractions:
        chosen = labelled_subset(train[1], fraction, seed)
        manual_seed(seed)
        probe = nn.Linear(train_features.shape[1], classes)
        epochs = steps_to_epochs(len(chosen), steps, batch_size)
        accuracies[fraction] = _fit_classifier(
            probe,
            (train_features[chosen], train[1][chosen]),
            (test_features, test[1]),
            epochs,
            batch_size,
            lr,
            seed,
            1e-4,
        )
    return accuracies


def classifier(encoder: nn.Module, classes: int) -> nn.Sequential:
    """encoder -> BatchNorm1d (its features standardised, as the probe's are) -> Linear to the classes."""
    return nn.Sequential(encoder, nn.BatchNorm1d(encoder.feature_dim), nn.Linear(encoder.feature_dim, classes))


def fine_tune(
    encoder: nn.Module,
    train: Split,
    test: Split,
    fractions: Sequence[float] = (0.01, 0.1, 1.0),
    steps: int = 300,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
) -> dict[float, float]:
    """A copy of the encoder and a new head (classifier()), all trained on each fraction of the
    labels for about `steps` steps (at least one epoch); {fraction: test accuracy}. The encoder
    itself is left as it was."""
    classes = int(train[1].max()) + 1
    accuracies = {}
    for fraction in fractions:
        chosen = labelled_subset(train[1], fraction, seed)
        manual_seed(seed)
        model = classifier(copy.deepcopy(encoder), classes)
        epochs = steps_to_epochs(len(chosen), steps, batch_size)
        accuracies[fraction] = _fit_classifier(
            model, (train[0][chosen], train[1][chosen]), test, epochs, batch_size, lr, seed
        )
    return accuracies
