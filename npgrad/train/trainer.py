"""Trainer: the training loop, written once — fit, evaluate, predict, checkpoints and resume.

    trainer = Trainer(model, optim.Adam(model.parameters()), nn.CrossEntropyLoss(),
                      metrics=["accuracy"], callbacks=[ProgressBar(), EarlyStopping(patience=3)])
    history = trainer.fit(train_loader, val_loader, epochs=10)
    trainer.evaluate(test_loader)   # {"loss": ..., "accuracy": ...}

A batch is a tuple (inputs..., targets), as a DataLoader over a TensorDataset(x, y) yields.
For other set-ups (GANs, VAEs, several losses) subclass and override train_step / eval_step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import io
from ..autograd import no_grad
from ..data import DataLoader, TensorDataset
from ..nn.module import Module, eval_mode
from ..nn.utils import clip_grad_norm_, clip_grad_value_
from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from . import distributed
from .callbacks import Callback, History
from .metrics import Metric, WeightedMeans, get_metric


def split_batch(batch: Any) -> tuple[tuple[Any, ...], Any]:
    """(inputs tuple, targets) of a batch (inputs..., targets)."""
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return tuple(batch[:-1]), batch[-1]
    raise TypeError(
        f"Trainer: expected batches (inputs..., targets), got a {type(batch).__name__}"
        f"{f' of {len(batch)}' if isinstance(batch, (tuple, list)) else ''}; for other "
        "batches override train_step and eval_step"
    )


def batch_inputs(batch: Any) -> tuple[Any, ...]:
    """The model inputs of a batch: all but the targets, or the whole batch if it has one part."""
    if isinstance(batch, (tuple, list)):
        return tuple(batch) if len(batch) == 1 else tuple(batch[:-1])
    return (batch,)


def samples_in(batch: Any) -> int:
    return batch_inputs(batch)[0].shape[0]


class Trainer:
    """Trains `model` with `optimizer` to minimise loss_fn(outputs, targets).

    metrics: names ("accuracy", "acc", "top5") or functions metric(outputs, targets) -> float,
        reported for training and validation, averaged over each epoch by batch size.
    scheduler: an lr scheduler, stepped after every epoch (scheduler_step="epoch"; a
        ReduceLROnPlateau gets val_loss, or loss without validation) or after every optimizer
        step ("batch", for warmup and OneCycleLR).
    callbacks: see npgrad.train.callbacks. grad_clip_norm / grad_clip_value: clip the gradients
        before each step to this total 2-norm / element magnitude.

    Attributes: history (the History of the last fit), step_logs (the last batch's own loss and
    metrics; callbacks get running means over the epoch), epoch (how many epochs are done; the
    index of the one running), global_step (optimizer steps taken in all), epochs (where fit
    stops), steps_per_epoch, stop_training (set it to stop).
    """

    def __init__(
        self,
        model: Module,
        optimizer: Optimizer,
        loss_fn: Callable[[Any, Any], Tensor],
        metrics: Iterable[Metric] = ("accuracy",),
        scheduler: LRScheduler | None = None,
        scheduler_step: str = "epoch",
        callbacks: Iterable[Callback] = (),
        grad_clip_norm: float | None = None,
        grad_clip_value: float | None = None,
    ) -> None:
        if scheduler_step not in ("epoch", "batch"):
            raise ValueError(f"Trainer: scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
        if isinstance(scheduler, ReduceLROnPlateau) and scheduler_step == "batch":
            raise ValueError(
                "Trainer: ReduceLROnPlateau reacts to a validation metric, so it steps "
                "per epoch; use scheduler_step='epoch'"
            )
        if not callable(loss_fn):
            raise TypeError(f"Trainer: loss_fn must be a function(outputs, targets), got {type(loss_fn).__name__}")
        if metrics is None:
            metrics = []
        elif isinstance(metrics, str) or callable(metrics):
            metrics = [metrics]
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.metrics = [get_metric(metric) for metric in metrics]
        self.scheduler, self.scheduler_step = scheduler, scheduler_step
        self.callbacks = list(callbacks)
        self.grad_clip_norm, self.grad_clip_value = grad_clip_norm, grad_clip_value
        self.history = History()
        self.epoch = self.global_step = self.epochs = 0
        self.steps_per_epoch = None
        self.stop_training = False
        self.train_loader = self.val_loader = None
        self.step_logs = {}

    # -- the loop --------------------------------------------------------------------------
    def fit(
        self,
        train_loader: Iterable[Any],
        val_loader: Iterable[Any] | None = None,
        epochs: int = 1,
        resume: str | os.PathLike | None = None,
    ) -> History:
        """Train until `epochs` epochs are done, validating on val_loader after each, and return
        the History. resume: a checkpoint path (from ModelCheckpoint or save_checkpoint) to
        continue from, with its weights, optimizer, scheduler, counters, history and random
        state, so that the run ends exactly as if it had never stopped. As one of N processes
        (npgrad.distributed), each trains on its share of every batch (see train/distributed.py)
        and a checkpoint resumes with any number of processes."""
        module, self.model = self.model, distributed.wrap_model(self.model)
        try:
            history = self._fit(
                distributed.shard_loader(train_loader, training=True),
                distributed.shard_loader(val_loader),
                epochs,
                resume,
            )
        finally:
            self.model = module
        distributed.barrier()  # no rank goes on before rank 0 has written its files
        return history

    def _fit(
        self,
        train_loader: Iterable[Any],
        val_loader: Iterable[Any] | None,
        epochs: int,
        resume: str | os.PathLike | None,
    ) -> History:
        self.train_loader, self.val_loader = train_loader, val_loader
        self.steps_per_epoch = len(train_loader) if hasattr(train_loader, "__len__") else None
        self.history, self.epoch, self.epochs, self.stop_training = History(), 0, epochs, False
        if resume is not None:
            self.load_checkpoint(resume)
        callbacks = [self.history, *self.callbacks]
        self._notify(callbacks, "on_train_begin", {})
        logs = {}
        for epoch in range(self.epoch, epochs):
            self._notify(callbacks, "on_epoch_begin", epoch, {})
            lr = self.optimizer.param_groups[0]["lr"]
            epoch_logs = self._train_epoch(callbacks)
            if self.stop_training:  # stopped in the middle of the epoch: abandon it
                break
            logs = {**epoch_logs, **self._validate(), "lr": lr}
            self._step_scheduler_after_epoch(logs)
            self.epoch = epoch + 1
            self._notify(callbacks, "on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        self._notify(callbacks, "on_train_end", logs)
        return self.history

    def _train_epoch(self, callbacks: list[Callback]) -> dict[str, float]:
        self.model.train()
        means = WeightedMeans()
        for step, batch in enumerate(self.train_loader):
            self._notify(callbacks, "on_batch_begin", step, {})
            self.step_logs = self.train_step(batch)
            means.add(self.step_logs, samples_in(batch))
            self.global_step += 1
            if self.scheduler is not None and self.scheduler_step == "batch":
                self.scheduler.step()
            self._notify(callbacks, "on_batch_end", step, means.means())
            if self.stop_training:
                break
        distributed.reduce_means_(means)
        distributed.sync_buffers(self.model)
        if not means.count:
            raise ValueError(
                "Trainer.fit: train_loader yielded no batches (drop_last=True with fewer samples than batch_size?)"
            )
        return means.means()

    def _validate(self) -> dict[str, float]:
        if self.val_loader is None:
            return {}
        return {"val_" + name: value for name, value in self.evaluate(self.val_loader).items()}

    def _step_scheduler_after_epoch(self, logs: dict[str, float]) -> None:
        if self.scheduler is None or self.scheduler_step != "epoch":
            return
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(logs.get("val_loss", logs["loss"]))
        else:
            self.scheduler.step()

    def _notify(self, callbacks: list[Callback], hook: str, *args: Any) -> None:
        main = distributed.is_main_process()
        for callback in callbacks:
            if main or not callback.main_process_only:
                getattr(callback, hook)(self, *args)

    # -- one batch ---------------------------------------------------------------------------
    def train_step(self, batch: Any) -> dict[str, float]:
        """One optimisation step on `batch`; returns {"loss": ..., metric: ...} as floats."""
        inputs, targets = split_batch(batch)
        outputs = self.model(*inputs)
        loss = self.loss_fn(outputs, targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.clip_gradients()
        self.optimizer.step()
        return self.batch_logs(loss, outputs, targets)

    def eval_step(self, batch: Any) -> dict[str, float]:
        """Loss and metrics on `batch` (run in eval mode, without gradients, by evaluate)."""
        inputs, targets = split_batch(batch)
        outputs = self.model(*inputs)
        return self.batch_logs(self.loss_fn(outputs, targets), outputs, targets)

    def batch_logs(self, loss: Tensor, outputs: Any, targets: Any) -> dict[str, float]:
        return {"loss": float(loss.item()), **{name: float(metric(outputs, targets)) for name, metric in self.metrics}}

    def clip_gradients(self) -> None:
        """Apply grad_clip_norm / grad_clip_value to the model's gradients (call it between
        backward and optimizer.step when overriding train_step)."""
        if self.grad_clip_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.grad_clip_norm)
        if self.grad_clip_value is not None:
            clip_grad_value_(self.model.parameters(), self.grad_clip_value)

    # -- evaluation and prediction -------------------------------------------------------------
    def evaluate(self, loader: Iterable[Any]) -> dict[str, float]:
        """The loss and metrics over `loader`, averaged by batch size, in eval mode and without
        gradients: e.g. {"loss": 0.31, "accuracy": 0.91}. As one of N processes, each evaluates
        its share of every batch and the sums are added up over the processes."""
        means = WeightedMeans()
        with eval_mode(self.model), no_grad():
            for batch in distributed.shard_loader(loader):
                means.add(self.eval_step(batch), samples_in(batch))
        distributed.reduce_means_(means)
        if not means.count:
            raise ValueError("Trainer.evaluate: the loader yielded no batches")
        return means.means()

    def predict(self, loader_or_array: Iterable[Any] | Tensor | np.ndarray, batch_size: int = 256) -> np.ndarray:
        """The model's outputs, as one NumPy array, for a loader (its batches' inputs; targets,
        if present, are ignored) or for an array / Tensor of inputs cut into batches of
        batch_size. Runs in eval mode without gradients."""
        loader = loader_or_array
        if isinstance(loader, (np.ndarray, Tensor)):
            loader = DataLoader(TensorDataset(loader), batch_size=batch_size)
        with eval_mode(self.model), no_grad():
            outputs = [np.asarray(self.model(*batch_inputs(batch))._data) for batch in loader]
        return np.concatenate(outputs)

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Save the model, optimizer, scheduler, epoch and step counters, History and all
        random state (npgrad's and the loaders' generators), atomically; as one of N processes,
        only rank 0 writes, the model without its DistributedDataParallel wrapper."""
        if not distributed.is_main_process():
            return
        io.save_checkpoint(
            path,
            distributed.unwrap(self.model),
            self.optimizer,
            self.scheduler,
            epoch=self.epoch,
            global_step=self.global_step,
            loaders=self._loaders(),
            extra={"history": self.history.state_dict()},
        )

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Restore what save_checkpoint saved; fit(resume=path) calls it."""
        checkpoint = io.load_checkpoint(
            path, distributed.unwrap(self.model), self.optimizer, self.scheduler, loaders=self._loaders()
        )
        self.epoch, self.global_step = checkpoint["epoch"], checkpoint["global_step"]
        history = (checkpoint["extra"] or {}).get("history")
        if history is not None:
            self.history.load_state_dict(history)
        return checkpoint

    def _loaders(self) -> list[Iterable[Any]]:
        return [loader for loader in (self.train_loader, self.val_loader) if loader is not None]
