"""Callbacks for Model.fit: npgrad's own (same names and arguments as Keras's), and a Keras-style
Callback base class for writing your own the Keras way.

    EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True), ModelCheckpoint,
    CSVLogger, TerminateOnNaN, LearningRateScheduler(schedule(epoch, lr)), ProgressBar

A Keras-style callback has hooks on_epoch_end(self, epoch, logs=None) and so on, and reaches
the model as self.model; setting self.model.stop_training = True stops training, as in Keras.
fit also accepts npgrad callbacks (hooks that receive the Trainer).
"""

from ..train import callbacks as npgrad_callbacks
from ..train.callbacks import (  # noqa: F401  (Keras's names, npgrad's implementations)
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
)


class CSVLogger(npgrad_callbacks.CSVLogger):
    """npgrad's CSVLogger with Keras's epoch numbers in the file: from 0."""

    first_epoch = 0


class Callback:
    """Keras's callback base class: override the hooks you need; `self.model` is the model."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class _FromKeras(npgrad_callbacks.Callback):
    """Runs a Keras-style callback inside the Trainer, and carries model.stop_training over."""

    def __init__(self, callback, model):
        self.callback, self.model = callback, model
        callback.set_model(model)

    def _run(self, trainer, hook, *args):
        self.model.stop_training = False
        getattr(self.callback, hook)(*args)
        if self.model.stop_training:
            trainer.stop_training = True

    def on_train_begin(self, trainer, logs):
        self._run(trainer, "on_train_begin", logs)

    def on_train_end(self, trainer, logs):
        self._run(trainer, "on_train_end", logs)

    def on_epoch_begin(self, trainer, epoch, logs):
        self._run(trainer, "on_epoch_begin", epoch, logs)

    def on_epoch_end(self, trainer, epoch, logs):
        self._run(trainer, "on_epoch_end", epoch, logs)

    def on_batch_begin(self, trainer, step, logs):
        self._run(trainer, "on_train_batch_begin", step, logs)

    def on_batch_end(self, trainer, step, logs):
        self._run(trainer, "on_train_batch_end", step, logs)


def for_trainer(callbacks, model):
    """The callbacks given to fit, as npgrad Trainer callbacks."""
    return [_FromKeras(callback, model) if isinstance(callback, Callback) else callback for callback in callbacks or ()]
