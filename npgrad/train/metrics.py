"""Metrics: accuracy, top-k accuracy and the confusion matrix, vectorised over a batch.

A metric is any function metric(outputs, targets) -> float, the mean over the batch. The
Trainer names metrics by string ("accuracy" or "acc", "top5", or anything registered with
register_metric) or takes such functions directly, and averages them over an epoch weighted
by batch size (WeightedMeans), so that a smaller last batch counts for what it holds.

outputs: scores (N, C), one row per sample (logits or probabilities), or one probability per
    sample (N,) or (N, 1) for a binary problem.
targets: class indices (N,), or one-hot / probability rows (N, C).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Union

import numpy as np

from ..tensor import Tensor
from ..types import ArrayLike

MetricFunction = Callable[[Any, Any], float]  # metric(outputs, targets) -> the batch's mean
Metric = Union[str, MetricFunction]  # a registered name ("accuracy", "top5") or the function


def _array(values: Tensor | ArrayLike) -> np.ndarray:
    return np.asarray(values._data if isinstance(values, Tensor) else values)


def target_classes(targets: Tensor | ArrayLike) -> np.ndarray:
    """Class indices (N,) from indices, or from one-hot or probability rows (their argmax)."""
    targets = _array(targets)
    if targets.ndim == 2 and targets.shape[1] > 1:
        return targets.argmax(axis=1)
    return targets.reshape(-1).round().astype(np.int64)  # binary float targets 0./1. included


def predicted_classes(outputs: Tensor | ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Class indices (N,): the argmax of score rows; for one probability per sample, 1 where it
    exceeds `threshold` (use threshold=0 for logits). Integer outputs are taken as classes."""
    outputs = _array(outputs)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    outputs = outputs.reshape(-1)
    if outputs.dtype.kind in "iub":
        return outputs.astype(np.int64)
    return (outputs > threshold).astype(np.int64)


def _check_lengths(name: str, predictions: np.ndarray, targets: np.ndarray) -> None:
    if len(predictions) != len(targets):
        raise ValueError(f"{name}: outputs are for {len(predictions)} samples, targets for {len(targets)}")


def accuracy(outputs: Tensor | ArrayLike, targets: Tensor | ArrayLike, threshold: float = 0.5) -> float:
    """The fraction of samples whose predicted class is the target class."""
    predictions, labels = predicted_classes(outputs, threshold), target_classes(targets)
    _check_lengths("accuracy", predictions, labels)
    return float(np.mean(predictions == labels))


def top_k_accuracy(outputs: Tensor | ArrayLike, targets: Tensor | ArrayLike, k: int = 5) -> float:
    """The fraction of samples whose target class is among the k highest scores."""
    scores, labels = _array(outputs), target_classes(targets)
    if scores.ndim != 2 or scores.shape[1] < k:
        raise ValueError(f"top_k_accuracy: expected scores (N, C) with C >= k = {k}, got shape {scores.shape}")
    _check_lengths("top_k_accuracy", scores, labels)
    top_k = np.argpartition(scores, -k, axis=1)[:, -k:]  # the k best classes of each row, unordered
    return float(np.mean(np.any(top_k == labels[:, None], axis=1)))


def confusion_matrix(
    outputs: Tensor | ArrayLike, targets: Tensor | ArrayLike, num_classes: int | None = None
) -> np.ndarray:
    """counts[i, j] = how many samples of true class i were predicted as class j (int64).
    `outputs` may be scores or predicted class indices. Sum the matrices of several batches
    for a whole data set."""
    predictions, labels = predicted_classes(outputs), target_classes(targets)
    _check_lengths("confusion_matrix", predictions, labels)
    if num_classes is None:
        num_classes = int(max(predictions.max(initial=-1), labels.max(initial=-1))) + 1
    if len(labels) and (
        min(predictions.min(), labels.min()) < 0 or max(predictions.max(), labels.max()) >= num_classes
    ):
        raise ValueError(
            f"confusion_matrix: class indices must lie in [0, {num_classes}), got "
            f"predictions in [{predictions.min()}, {predictions.max()}] and targets in "
            f"[{labels.min()}, {labels.max()}]"
        )
    pairs = labels * num_classes + predictions  # each (true, predicted) pair as one flat index
    return np.bincount(pairs, minlength=num_classes**2).reshape(num_classes, num_classes)


# -- naming metrics ----------------------------------------------------------------------------
_REGISTRY = {"accuracy": accuracy, "acc": accuracy}
_TOP_K = re.compile(r"top_?(\d+)(_accuracy)?")


def register_metric(name: str, function: MetricFunction) -> None:
    """Make function(outputs, targets) -> float available as metrics=[name]."""
    if not callable(function):
        raise TypeError(f"register_metric: expected a function, got {type(function).__name__}")
    _REGISTRY[name] = function


def get_metric(metric: Metric) -> tuple[str, MetricFunction]:
    """(name, function) for a metric given by name ("accuracy", "acc", "top5", "top_3_accuracy",
    a registered name) or as a function (named by its __name__)."""
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    if not isinstance(metric, str):
        raise TypeError(f"metric: expected a name or a function(outputs, targets), got {type(metric).__name__}")
    if metric in _REGISTRY:
        return metric, _REGISTRY[metric]
    top_k = _TOP_K.fullmatch(metric)
    if top_k:
        k = int(top_k.group(1))
        return metric, lambda outputs, targets: top_k_accuracy(outputs, targets, k)
    raise ValueError(
        f"unknown metric {metric!r}; expected one of {sorted(_REGISTRY)}, 'topK' "
        "(e.g. 'top5'), or a function(outputs, targets) -> float"
    )


class WeightedMeans:
    """Running means of named values, each batch weighted by its number of samples:
    mean = sum(value_b * n_b) / sum(n_b), the exact mean over all samples for per-batch means."""

    def __init__(self) -> None:
        self.sums, self.count = {}, 0

    def add(self, values: dict[str, float], n: int) -> None:
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value) * n
        self.count += n

    def means(self) -> dict[str, float]:
        return {name: total / self.count for name, total in self.sums.items()}
