"""Callbacks: code the Trainer runs at fixed points of training, with Keras's names.

Every hook gets the trainer and a `logs` dict of floats. In on_batch_end the logs are the
running means of the epoch so far ("loss", the metrics); in on_epoch_end they are the epoch's
means plus the validation results ("val_loss", "val_accuracy", ...) and "lr", the learning rate
the epoch started with. `epoch` and `step` count from 0.

A callback stops training by setting trainer.stop_training = True: in on_epoch_end, after that
epoch; in on_batch_end, at once, abandoning the unfinished epoch (it is not validated, logged
or checkpointed).
"""

from __future__ import annotations

import copy
import csv
import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import numpy as np

from ..utils.progress import progress


class Callback:
    """The base class: override the hooks you need. main_process_only: when training runs as
    N processes, only rank 0 calls this callback (those that print or write files)."""

    main_process_only = False

    def on_train_begin(self, trainer: Trainer, logs: dict[str, float]) -> None:
        pass

    def on_epoch_begin(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_batch_begin(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        pass

    def on_batch_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        pass

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        pass


class History(Callback):
    """Records the logs of every epoch: history["loss"] = [epoch 0's, epoch 1's, ...]; `epoch`
    lists the epoch numbers. Trainer.fit makes a new one for each run and returns it."""

    def __init__(self) -> None:
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": list(self.epoch), "history": {name: list(values) for name, values in self.history.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = list(state["epoch"])
        self.history = {name: list(values) for name, values in state["history"].items()}


class StepLosses(Callback):
    """Keeps every training step's own loss (not the epoch's running mean) in .losses."""

    def __init__(self) -> None:
        self.losses = []

    def on_batch_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        self.losses.append(trainer.step_logs["loss"])


def _rounded(logs: dict[str, float]) -> dict[str, str]:
    return {name: f"{value:.4g}" for name, value in logs.items()}


def _tqdm_or_none() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class ProgressBar(Callback):
    """A tqdm progress bar per epoch (steps, it/s, loss and metrics) when tqdm is installed
    (pip install npgrad[progress]); otherwise one printed line per epoch:

        epoch 2/10 - step 469/469 - loss 0.1432 - accuracy 0.9571 - val_loss ... - 812.3 it/s

    use_tqdm: None picks tqdm when available; False always prints lines. file: where to write
    (default sys.stderr for the bar, sys.stdout for lines). Written to a file rather than a
    terminal (a `nohup` log), the bar refreshes every 30 s instead of 10 times a second."""

    main_process_only = True

    def __init__(self, use_tqdm: bool | None = None, file: TextIO | None = None) -> None:
        self.tqdm = _tqdm_or_none() if use_tqdm in (None, True) else None
        if use_tqdm and self.tqdm is None:
            raise ImportError("ProgressBar(use_tqdm=True) needs tqdm: pip install npgrad[progress]")
        self.file = file
        self.bar = None

    def on_epoch_begin(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self.started, self.steps = time.perf_counter(), 0
        if self.tqdm is not None:
            stream = self.file or sys.stderr
            interactive = hasattr(stream, "isatty") and stream.isatty()
            refresh = {} if interactive else {"mininterval": 30, "maxinterval": 30}
            self.bar = self.tqdm(
                total=trainer.steps_per_epoch,
                desc=f"epoch {epoch + 1}/{trainer.epochs}",
                unit="step",
                file=stream,
                dynamic_ncols=True,
                **refresh,
            )

    def on_batch_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        self.steps = step + 1
        if self.bar is not None:
            self.bar.set_postfix(_rounded(logs), refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.set_postfix(_rounded(logs))
            self._close_bar()
            return
        rate = self.steps / max(time.perf_counter() - self.started, 1e-9)
        total = trainer.steps_per_epoch or self.steps
        fields = [
            f"epoch {epoch + 1}/{trainer.epochs}",
            f"step {self.steps}/{total}",
            *(f"{name} {value}" for name, value in _rounded(logs).items()),
            f"{rate:.1f} it/s",
        ]
        print(" - ".join(fields), file=self.file or sys.stdout, flush=True)

    def on_train_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        self._close_bar()  # still open if training stopped in the middle of an epoch

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class _BestTracker:
    """The best value so far of the log entry `monitor`; lower is better in mode "min", higher
    in "max", and "auto" picks "max" for accuracies ("acc", "top5" ...) and "min" otherwise.
    A value improves on the best only if it beats it by more than min_delta."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor or monitor.startswith(("top", "val_top")) else "min"
        self.owner, self.monitor, self.mode, self.min_delta = owner, monitor, mode, abs(min_delta)
        self.reset()

    def reset(self, previous: Iterable[float] = ()) -> None:
        """Forget the best, or start from the best of `previous` values (of a resumed run)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        for value in previous:
            self.improves(value)

    def value(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            raise ValueError(
                f"{self.owner}: monitor {self.monitor!r} is not in the logs, which have "
                f"{sorted(logs)}; pass val_loader to fit() for 'val_' entries, or "
                "monitor another one"
            )
        return logs[self.monitor]

    def improves(self, value: float) -> bool:
        """True (and `value` becomes the best) if `value` beats the best."""
        better = value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta
        if better:
            self.best = value
        return better


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than min_delta for `patience` epochs in a
    row. restore_best_weights: at the end of training, put back the model's weights from the
    best epoch (Keras does this only when it stopped early). After it ran, `best_epoch` and
    `stopped_epoch` (None if it never stopped) tell what happened."""

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        self.tracker = _BestTracker("EarlyStopping", monitor, mode, min_delta)
        self.patience, self.restore_best_weights = patience, restore_best_weights

    def on_train_begin(self, trainer: Trainer, logs: dict[str, float]) -> None:
        self.tracker.reset()
        self.wait, self.best_epoch, self.stopped_epoch, self.best_weights = 0, None, None, None

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        if self.tracker.improves(self.tracker.value(logs)):
            self.wait, self.best_epoch = 0, epoch
            if self.restore_best_weights:
                self.best_weights = copy.deepcopy(trainer.model.state_dict())  # a snapshot: state_dict shares memory
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop_training, self.stopped_epoch = True, epoch

    def on_train_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)


def _make_parent_folder(path: str | os.PathLike) -> None:
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)


class ModelCheckpoint(Callback):
    """Save a full checkpoint (model, optimizer, scheduler, counters, random state; see
    Trainer.save_checkpoint) at the end of every epoch, overwriting `path` ("last"), or with
    save_best_only=True only when `monitor` improved ("best"). `path` may hold fields filled
    from the epoch (counted from 1) and the logs, e.g. "runs/x/epoch{epoch:02d}-{val_loss:.3f}.safetensors".
    Use two of them for both: ModelCheckpoint("runs/x/last.safetensors"),
    ModelCheckpoint("runs/x/best.safetensors", save_best_only=True)."""

    main_process_only = True

    def __init__(
        self, path: str | os.PathLike, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto"
    ) -> None:
        self.path, self.save_best_only = path, save_best_only
        self.tracker = _BestTracker("ModelCheckpoint", monitor, mode, 0.0)

    def on_train_begin(self, trainer: Trainer, logs: dict[str, float]) -> None:
        # a resumed run's History already holds the earlier epochs: their best still counts
        self.tracker.reset(trainer.history.history.get(self.tracker.monitor, ()))

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        if self.save_best_only and not self.tracker.improves(self.tracker.value(logs)):
            return
        path = os.fspath(self.path).format(epoch=epoch + 1, **logs)
        _make_parent_folder(path)
        trainer.save_checkpoint(path)


class CSVLogger(Callback):
    """Append one row per epoch to the CSV file `path`: epoch (numbered from 1, as the progress
    bar and the checkpoints number them), then the logs in name order, with a header row when
    the file is new. append=False starts the file afresh when training begins; use append=True
    when resuming."""

    first_epoch = 1
    main_process_only = True

    def __init__(self, path: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        self.path, self.separator, self.append = os.fspath(path), separator, append

    def on_train_begin(self, trainer: Trainer, logs: dict[str, float]) -> None:
        _make_parent_folder(self.path)
        if not self.append and os.path.exists(self.path):
            os.remove(self.path)

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        new_file = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        names = sorted(logs)
        with open(self.path, "a", newline="") as file:  # opened per row: a crash loses nothing written
            writer = csv.writer(file, delimiter=self.separator)
            if new_file:
                writer.writerow(["epoch", *names])
            writer.writerow([epoch + self.first_epoch, *(logs[name] for name in names)])


class TerminateOnNaN(Callback):
    """Stop training at once when the loss becomes NaN or infinite."""

    def on_batch_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        loss = logs.get("loss")
        if loss is not None and not np.isfinite(loss):
            print(
                f"TerminateOnNaN: the loss is {loss} at step {step} of epoch {trainer.epoch + 1}; stopping training",
                file=sys.stderr,
            )
            trainer.stop_training = True


class LearningRateScheduler(Callback):
    """At the start of every epoch set the learning rate of all parameter groups to
    schedule(epoch, lr), where lr is the current one (of the first group)."""

    def __init__(self, schedule: Callable[[int, float], float]) -> None:
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: expected a function(epoch, lr), got {type(schedule).__name__}")
        self.schedule = schedule

    def on_epoch_begin(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        lr = float(self.schedule(epoch, trainer.optimizer.param_groups[0]["lr"]))
        for group in trainer.optimizer.param_groups:
            group["lr"] = lr


class StepProgress(Callback):
    """One progress bar over every step of a fit, all epochs together, with time left and the
    last epoch's results: for training several models in a row, where ProgressBar's bar per
    epoch would scroll by. The bar counts to epochs x steps_per_epoch (fewer steps run when
    EarlyStopping stops early)."""

    main_process_only = True

    def __init__(self, label: str) -> None:
        self.label, self.bar = label, None

    def on_train_begin(self, trainer: Trainer, logs: dict[str, float]) -> None:
        steps = trainer.steps_per_epoch  # None for a loader without len()
        self.bar = progress(total=steps and trainer.epochs * steps, desc=self.label, unit="step")

    def on_batch_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        self.bar.update(1)

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        results = {name: round(value, 4) for name, value in logs.items() if name != "lr"}
        self.bar.set_postfix(refresh=False, **results)  # shown with the next refresh: no extra line per epoch

    def on_train_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        self.bar.close()


# Last: the trainer imports this module (History), and the hooks' hints name the Trainer.
from .trainer import Trainer  # noqa: E402
