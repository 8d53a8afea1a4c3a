"""The base of every self-supervised method, and pretraining with the Trainer.

A method is an nn.Module holding the shared `encoder` (see encoder.py) and the heads of its
pretext task. It defines

    pretext_batch(images) -> (inputs, targets)   the task made from unlabelled images (NumPy)
    pretext_loss(images) -> (loss, logs)          the loss on that task and its logs (floats)

so that pretrain() trains any of them the same way, and the encoder is then kept and judged
(evaluation.py). Random choices (which rotation, which patch, which permutation, which crop)
come from the method's `generator`: an int seed, a numpy Generator, or None for npgrad's global
generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import nn, no_grad, optim
from ..data import DataLoader, TensorDataset, _rng
from ..nn.module import eval_mode
from ..tensor import Tensor
from ..train import Callback, Trainer
from ..types import _generator
from .encoder import check_encoder


class SelfSupervised(nn.Module):
    """Base class: subclasses build their heads in __init__ and define pretext_batch and pretext_loss."""

    def __init__(self, encoder: nn.Module, generator: _generator | None = None) -> None:
        super().__init__()
        self.feature_dim = check_encoder(encoder)
        self.encoder = encoder
        self.generator = _rng.seeded(generator)

    def rng(self) -> np.random.Generator:
        return _rng.current(self.generator)

    def pretext_batch(self, images: Tensor | np.ndarray) -> tuple[Any, Any]:
        raise NotImplementedError

    def pretext_loss(self, images: Tensor | np.ndarray) -> tuple[Tensor, dict[str, float]]:
        raise NotImplementedError

    def forward(self, images: Tensor) -> Tensor:
        """The encoder's features: what the method is trained for."""
        return self.encoder(images)


def image_array(images: Tensor | ArrayLike) -> np.ndarray:
    """float32 (N, C, H, W) NumPy images from a Tensor or an array, or a ValueError."""
    array = images._data if isinstance(images, Tensor) else np.asarray(images)
    if array.ndim != 4 or array.dtype.kind != "f":
        raise ValueError(f"self-supervised method: expected float images (N, C, H, W), got {array.dtype} {array.shape}")
    return array.astype(np.float32, copy=False)


def classification_logs(loss: Tensor, logits: Tensor, targets: np.ndarray) -> dict[str, float]:
    """{"loss", "accuracy"} of a pretext classification."""
    predicted = np.argmax(logits._data, axis=1)
    return {"loss": float(loss.item()), "accuracy": float(np.mean(predicted == targets))}


class PretextTrainer(Trainer):
    """The Trainer on batches of unlabelled images: the method's pretext_loss is the loss."""

    def __init__(self, method: SelfSupervised, optimizer: optim.Optimizer, **options: Any) -> None:
        super().__init__(method, optimizer, loss_fn=method.pretext_loss, metrics=None, **options)

    def train_step(self, batch: Any) -> dict[str, float]:
        loss, logs = self.model.pretext_loss(batch[0])
        self.optimizer.zero_grad()
        loss.backward()
        self.clip_gradients()
        self.optimizer.step()
        return logs

    def eval_step(self, batch: Any) -> dict[str, float]:
        return self.model.pretext_loss(batch[0])[1]


class StepLogs(Callback):
    """Every training step's own logs (loss, pretext accuracy) in .logs; with max_steps, stops
    training after that many steps."""

    def __init__(self, max_steps: int | None = None) -> None:
        self.logs, self.max_steps = [], max_steps

    def on_batch_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        self.logs.append(dict(trainer.step_logs))
        if self.max_steps is not None and len(self.logs) >= self.max_steps:
            trainer.stop_training = True


def evaluate_pretext(
    method: SelfSupervised, images: Tensor | np.ndarray, seed: int = 0, batch_size: int = 500
) -> dict[str, float]:
    """The method's pretext logs averaged over `images` (batches of batch_size), in eval mode
    without gradients, its random choices drawn from `seed` (the same task every call)."""
    kept, method.generator = method.generator, np.random.default_rng(seed)
    totals = {}
    try:
        with eval_mode(method), no_grad():
            for start in range(0, len(images), batch_size):
                batch = images[start : start + batch_size]
                for name, value in method.pretext_loss(batch)[1].items():
                    totals[name] = totals.get(name, 0.0) + value * len(batch)
    finally:
        method.generator = kept
    return {name: total / len(images) for name, total in totals.items()}


def pretrain(
    method: SelfSupervised,
    images: Tensor | np.ndarray,
    steps: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    callbacks: Sequence[Callback] = (),
) -> list[dict[str, float]]:
    """Train `method` on its pretext task for `steps` Adam steps over shuffled batches of the
    unlabelled `images` (N, C, H, W); returns every step's logs."""
    if len(images) < batch_size:
        raise ValueError(f"pretrain: {len(images)} images are fewer than one batch of {batch_size}")
    logs = StepLogs(steps)
    trainer = PretextTrainer(method, optim.Adam(method.parameters(), lr=lr), callbacks=[logs, *callbacks])
    loader = DataLoader(TensorDataset(images), batch_size=batch_size, shuffle=True, generator=seed, drop_last=True)
    trainer.fit(loader, epochs=-(-steps // len(loader)))
    return logs.logs
