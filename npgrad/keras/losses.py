"""Keras losses, each with the matching 'accuracy', computed with npgrad's functional losses.

A loss object is called the Keras way, loss(y_true, y_pred), and averages over the batch.
y_pred is probabilities unless from_logits=True (Keras's convention). Probabilities are
clipped to [1e-7, 1 - 1e-7] before the log, as Keras does, which is safe but lossy; so when
the model's last activation is the one a loss can take in (softmax for the categorical
cross-entropies, sigmoid for the binary one), Model.compile fuses them: during training the
model hands over its logits and the loss runs npgrad's fused, stable cross_entropy or
binary_cross_entropy_with_logits on them. predict() still applies the activation.
"""

from __future__ import annotations

import numpy as np

from ..functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from ..tensor import Tensor
from ..types import ArrayLike

EPSILON = 1e-7  # Keras's clipping of probabilities


def _array(value: Tensor | ArrayLike) -> np.ndarray:
    return value._data if isinstance(value, Tensor) else np.asarray(value)


class Loss:
    """Base class: subclasses define on_outputs(output, target), the loss on what the model
    outputs (probabilities, for a cross-entropy), and cross-entropies also on_logits(output, target)."""

    name = "loss"
    fused_activation = None  # the activation of the last layer that this loss can take in
    from_logits = False
    hint = ""  # added to the error about targets that do not fit

    def __call__(self, y_true: Tensor | ArrayLike, y_pred: Tensor | ArrayLike) -> Tensor:
        if not isinstance(y_pred, Tensor):
            y_pred = Tensor(np.asarray(y_pred, np.float32))
        return self.compute(y_pred, y_true, logits=self.from_logits)

    def compute(self, output: Tensor, target: Tensor | ArrayLike, logits: bool) -> Tensor:
        """The mean loss of a batch of outputs against the targets; logits=True when the outputs
        are logits (from_logits, or the model left its last activation to this loss)."""
        target = self.prepare_target(target, output)
        return self.on_logits(output, target) if logits else self.on_outputs(output, target)

    def prepare_target(self, target: Tensor | ArrayLike, output: Tensor) -> Tensor:
        """Targets as floats of the output's shape (an (N,) target fits an (N, 1) output)."""
        target = _array(target)
        if target.size != output._data.size:
            raise ValueError(
                f"{self.name}: targets of shape {target.shape} do not fit the model's output of "
                f"shape {tuple(output.shape)}{self.hint}"
            )
        return Tensor(target.astype(output.dtype, copy=False).reshape(output.shape))

    def correct(self, output: Tensor, target: Tensor | ArrayLike, logits: bool) -> np.ndarray:
        """A boolean array of what the model gets right, per sample or per output ('accuracy' is its mean)."""
        return _array(output) == _array(self.prepare_target(target, output))


class _CrossEntropy(Loss):
    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = from_logits


class CategoricalCrossentropy(_CrossEntropy):
    """-sum_c y_c log p_c, for one-hot (or soft) targets of shape (N, C)."""

    name = "categorical_crossentropy"
    fused_activation = "softmax"
    hint = (
        "; categorical_crossentropy takes one-hot targets (N, C): for integer labels use "
        "'sparse_categorical_crossentropy' or keras.utils.to_categorical"
    )

    def on_logits(self, output: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(output, target)

    def on_outputs(self, output: Tensor, target: Tensor) -> Tensor:
        return -(target * output.clamp(EPSILON, 1 - EPSILON).log()).sum(-1).mean()

    def correct(self, output: Tensor, target: Tensor | ArrayLike, logits: bool) -> np.ndarray:
        return _array(output).argmax(-1) == _array(target).argmax(-1)


class SparseCategoricalCrossentropy(_CrossEntropy):
    """-log p_y, for integer class labels y of shape (N,) (or (N, 1))."""

    name = "sparse_categorical_crossentropy"
    fused_activation = "softmax"

    def prepare_target(self, target: Tensor | ArrayLike, output: Tensor) -> Tensor:
        labels = _array(target)
        if labels.size != output.shape[0]:
            raise ValueError(
                f"{self.name}: takes one integer label per sample, shape ({output.shape[0]},), got "
                f"targets of shape {labels.shape}; for one-hot targets use 'categorical_crossentropy'"
            )
        return labels.reshape(-1).astype(np.int64)

    def on_logits(self, output: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(output, target)

    def on_outputs(self, output: Tensor, target: Tensor) -> Tensor:
        return nll_loss(output.clamp(EPSILON, 1 - EPSILON).log(), target)

    def correct(self, output: Tensor, target: Tensor | ArrayLike, logits: bool) -> np.ndarray:
        return _array(output).argmax(-1) == self.prepare_target(target, output)


class BinaryCrossentropy(_CrossEntropy):
    """-(y log p + (1 - y) log(1 - p)) per output, averaged, for targets y in {0, 1} (or in [0, 1])."""

    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def on_logits(self, output: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(output, target)

    def on_outputs(self, output: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(output.clamp(EPSILON, 1 - EPSILON), target)

    def correct(self, output: Tensor, target: Tensor | ArrayLike, logits: bool) -> np.ndarray:
        threshold = 0.0 if logits else 0.5  # sigmoid(z) > 0.5 exactly when z > 0
        return (_array(output) > threshold) == (_array(self.prepare_target(target, output)) > 0.5)


class MeanSquaredError(Loss):
    name = "mean_squared_error"

    def on_outputs(self, output: Tensor, target: Tensor) -> Tensor:
        return mse_loss(output, target)


class MeanAbsoluteError(Loss):
    name = "mean_absolute_error"

    def on_outputs(self, output: Tensor, target: Tensor) -> Tensor:
        return l1_loss(output, target)


_BY_NAME = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
}


def get(loss: str | Loss) -> Loss:
    """A Loss for a Keras loss name or a Loss object."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss in _BY_NAME:
        return _BY_NAME[loss]()
    raise ValueError(
        f"unknown loss {loss!r}; choose one of {', '.join(map(repr, _BY_NAME))} or pass a keras.losses object"
    )
