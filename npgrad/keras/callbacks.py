"""Callbacks for Model.fit: npgrad's own (same names and arguments as Keras's), and a Keras-style
Callback base class for writing your own the Keras way.

    EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True), ModelCheckpoint,
    CSVLogger, TerminateOnNaN, LearningRateScheduler(schedule(epoch, lr)), ProgressBar

A Keras-style callback has hooks on_epoch_end(self, epoch, logs=None) and so on, and reaches
the model as self.model; setting self.model.stop_training = True stops training, as in Keras.
fit also accepts npgrad callbacks (hooks that receive the Trainer).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..nn.module import Module
from ..train import callbacks as npgrad_callbacks
from ..train.callbacks import (  # noqa: F401  (Keras's names, npgrad's implementations)
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
)
from ..train.trainer import Trainer


class CSVLogger(npgrad_callbacks.CSVLogger):
    """npgrad's CSVLogger with Keras's epoch numbers in the file: from 0."""

    first_epoch = 0


class Callback:
    """Keras's callback base class: override the hooks you need; `self.model` is the model."""

    model = None

    def set_model(self, model: Module) -> None:
        self.model = model

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        pass

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        pass

    def on_train_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        pass

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        pass


class _FromKeras(npgrad_callbacks.Callback):
    """Runs a Keras-style callback inside the Trainer, and carries model.stop_training over."""

    def __init__(self, callback: Callback, model: Module) -> None:
        self.callback, self.model = callback, model
        callback.set_model(model)

    def _run(self, trainer: Trainer, hook: str, *args: Any) -> None:
        self.model.stop_training = False
        getattr(self.callback, hook)(*args)
        if self.model.stop_training:
            trainer.stop_training = True

    def on_train_begin(self, trainer: Trainer, logs: dict[str, float]) -> None:
        self._run(trainer, "on_train_begin", logs)

    def on_train_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        self._run(trainer, "on_train_end", logs)

    def on_epoch_begin(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self._run(trainer, "on_epoch_begin", epoch, logs)

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self._run(trainer, "on_epoch_end", epoch, logs)

    def on_batch_begin(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        self._run(trainer, "on_train_batch_begin", step, logs)

    def on_batch_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        self._run(trainer, "on_train_batch_end", step, logs)


def for_trainer(
    callbacks: Iterable[Callback | npgrad_callbacks.Callback] | None, model: Module
) -> list[npgrad_callbacks.Callback]:
    """The callbacks given to fit, as npgrad Trainer callbacks."""
    return [_FromKeras(callback, model) if isinstance(callback, Callback) else callback for callback in callbacks or ()]
