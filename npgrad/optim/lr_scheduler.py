"""Learning-rate schedulers: set each parameter group's lr as training advances.

Call `scheduler.step()` once per epoch (or per batch, for OneCycleLR and warmup) after
`optimizer.step()`. Each scheduler keeps `last_epoch`, the number of steps taken (0 right
after construction), and sets `group["lr"]` from the group's starting lr `initial_lr`
(which it records, like PyTorch) with a closed formula of `last_epoch`. PyTorch computes
most of these schedules recursively from the current lr; the values are the same, up to
rounding, unless something else changes the lr in between.

Also here: `linear_scaling_lr` and `warmup_scheduler`, the linear scaling rule with
gradual warmup of Goyal et al. (2017) for training with large batches.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer


class LRScheduler:
    """Base class: a subclass writes `get_lr()`, the lrs of the groups at step `last_epoch`.

    last_epoch: the index of the last step taken; -1 (the default) starts a new schedule.
    A larger value resumes one, which needs "initial_lr" in every group.
    """

    _not_saved: tuple[str, ...] = ("optimizer",)  # attributes that state_dict() leaves out

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr', so "
                    f"the schedule cannot resume at last_epoch={last_epoch}; "
                    "load the optimizer's state_dict first"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self._go_to(last_epoch + 1)

    def get_lr(self) -> list[float]:
        """The lr of each param group at step `self.last_epoch`."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lrs the last step set, one per param group."""
        return self._last_lr

    def step(self) -> None:
        """Advance the schedule by one step and set the optimizer's lrs."""
        self._go_to(self.last_epoch + 1)

    def _go_to(self, epoch: int) -> None:
        self.last_epoch = epoch
        self._last_lr = list(self.get_lr())
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's attributes (but not the optimizer), to save with a checkpoint."""
        return {key: value for key, value in self.__dict__.items() if key not in self._not_saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr = initial_lr · lr_lambda(last_epoch); lr_lambda is one function or one per group.
    The functions are not part of state_dict(): the code that builds the scheduler supplies them."""

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        groups = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(self.lr_lambdas) != groups:
            raise ValueError(
                f"LambdaLR: expected {groups} lr_lambdas (one per param group), got {len(self.lr_lambdas)}"
            )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * factor(self.last_epoch) for factor, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class StepLR(LRScheduler):
    """lr = initial_lr · gamma^⌊last_epoch / step_size⌋: decay by gamma every step_size steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = initial_lr · gamma^(number of milestones <= last_epoch); a repeated milestone counts twice."""

    def __init__(
        self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = initial_lr · gamma^last_epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) · (1 + cos(π · last_epoch / T_max)) / 2
    (Loshchilov & Hutter, 2017, without restarts): half a cosine from initial_lr down to eta_min
    in T_max steps; past T_max it climbs back along the same cosine, as in PyTorch."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """lr = initial_lr · (start_factor + (end_factor - start_factor) · min(last_epoch, total_iters) / total_iters):
    a straight line from start_factor to end_factor times the lr over total_iters steps."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run `schedulers` one after the other: schedulers[i + 1] takes over at step milestones[i],
    starting again from its own step 0. All must drive `optimizer`."""

    _not_saved = ("optimizer", "_schedulers")

    def __init__(
        self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int], last_epoch: int = -1
    ) -> None:
        if not schedulers:
            raise ValueError("SequentialLR: expected at least one scheduler")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"SequentialLR: scheduler {i} is a ReduceLROnPlateau, which needs "
                    "a metric in step() and cannot be sequenced"
                )
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(
                    f"SequentialLR: scheduler {i} ({type(scheduler).__name__}) drives a different optimizer"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                f"{len(schedulers)} schedulers, got {len(milestones)}"
            )
        self.optimizer, self._schedulers, self._milestones = optimizer, list(schedulers), list(milestones)
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:  # undo what building the schedulers did to the lrs
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:
            scheduler.last_epoch = -1
        self._current()._go_to(0)
        self._last_lr = self._current().get_last_lr()

    def _current(self) -> LRScheduler:
        return self._schedulers[bisect_right(self._milestones, self.last_epoch)]

    def step(self) -> None:
        self.last_epoch += 1
        scheduler = self._current()
        if self.last_epoch in self._milestones:
            scheduler._go_to(0)  # the next scheduler takes over from its own start
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state_dict.pop("_schedulers")):
            scheduler.load_state_dict(saved)
        super().load_state_dict(state_dict)


_Phase = namedtuple("_Phase", "end_step start_lr end_lr start_momentum end_momentum")


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018), stepped once per batch for total_steps steps
    (or epochs · steps_per_epoch). The lr rises from max_lr / div_factor to max_lr over the first
    pct_start of the steps, then anneals to max_lr / (div_factor · final_div_factor). With
    cycle_momentum the momentum (SGD) or beta1 (Adam) moves the opposite way, between
    max_momentum and base_momentum. three_phase: rise, fall back to the start symmetrically,
    then anneal to the minimum. anneal_strategy: 'cos' or 'linear' interpolation in each phase.
    Options as torch.optim.lr_scheduler.OneCycleLR; it records initial_lr, max_lr, min_lr,
    max_momentum and base_momentum in every param group.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        self._phases = self._make_phases(pct_start, three_phase)
        groups = optimizer.param_groups
        if cycle_momentum and "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(
                f"OneCycleLR: cycle_momentum needs an optimizer with momentum or betas, "
                f"{type(optimizer).__name__} has neither"
            )
        self.use_beta1 = "betas" in optimizer.defaults
        if last_epoch == -1:
            for group, peak in zip(groups, _per_group("max_lr", max_lr, groups)):
                group.update(initial_lr=peak / div_factor, max_lr=peak, min_lr=peak / div_factor / final_div_factor)
            if cycle_momentum:
                for group, high, low in zip(
                    groups,
                    _per_group("max_momentum", max_momentum, groups),
                    _per_group("base_momentum", base_momentum, groups),
                ):
                    group.update(max_momentum=high, base_momentum=low)
        super().__init__(optimizer, last_epoch)

    def _make_phases(self, pct_start, three_phase):
        rise_end = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if three_phase:
            return [
                _Phase(rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _Phase(2 * rise_end, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                _Phase(last, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        return [
            _Phase(rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            _Phase(last, "max_lr", "min_lr", "base_momentum", "max_momentum"),
        ]

    def _phase(self):
        """The phase that step last_epoch falls in, and the fraction of it done (0 to 1)."""
        start = 0.0
        for phase in self._phases:
            if self.last_epoch <= phase.end_step or phase is self._phases[-1]:
                return phase, (self.last_epoch - start) / (phase.end_step - start)
            start = phase.end_step

    def _anneal(self, start, end, fraction):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)  # cosine from start to end
        return start + (end - start) * fraction  # straight line

    def get_lr(self) -> list[float]:
        if self.last_epoch > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {self.last_epoch} times, but total_steps is {self.total_steps}"
            )
        phase, fraction = self._phase()
        return [
            self._anneal(group[phase.start_lr], group[phase.end_lr], fraction) for group in self.optimizer.param_groups
        ]

    def _go_to(self, epoch):
        super()._go_to(epoch)
        if not self.cycle_momentum:
            return
        phase, fraction = self._phase()
        for group in self.optimizer.param_groups:
            momentum = self._anneal(group[phase.start_momentum], group[phase.end_momentum], fraction)
            if self.use_beta1:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum


def _total_steps(total_steps: int | None, epochs: int | None, steps_per_epoch: int | None) -> int:
    if total_steps is not None:
        if not (isinstance(total_steps, int) and total_steps > 0):
            raise ValueError(f"OneCycleLR: total_steps must be a positive integer, got {total_steps}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("OneCycleLR: give either total_steps or both epochs and steps_per_epoch")
    for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
        if not (isinstance(value, int) and value > 0):
            raise ValueError(f"OneCycleLR: {name} must be a positive integer, got {value}")
    return epochs * steps_per_epoch


def _per_group(name: str, value: Any, groups: list[dict[str, Any]]) -> list[Any]:
    """`value` for every param group: a list/tuple gives one per group, a number is shared."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"expected {len(groups)} values of {name} (one per param group), got {len(value)}")
        return list(value)
    return [value] * len(groups)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by `factor` when a metric has stopped improving for `patience` steps.

    step(metric) after each evaluation. mode 'min' (a loss) or 'max' (an accuracy); a value is
    an improvement if it beats the best by more than `threshold`, relative to the best
    (threshold_mode 'rel': best · (1 ∓ threshold)) or absolute ('abs': best ∓ threshold).
    After a reduction, `cooldown` steps pass before bad steps count again. The lr never goes
    below min_lr (a number or one per group), and changes smaller than eps are skipped.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: expected an Optimizer, got {type(optimizer).__name__}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        _per_group("min_lr", min_lr, optimizer.param_groups)  # check the length of a list
        self.min_lr = min_lr
        self.mode, self.factor, self.patience, self.cooldown = mode, factor, patience, cooldown
        self.threshold, self.threshold_mode, self.eps = threshold, threshold_mode, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self, metrics: float | Tensor) -> None:  # type: ignore[override]  # PyTorch's signature
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:  # bad steps during the cooldown do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _is_better(self, value):
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (self.best * (1.0 - self.threshold) if relative else self.best - self.threshold)
        return value > (self.best * (1.0 + self.threshold) if relative else self.best + self.threshold)

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        for group, min_lr in zip(groups, _per_group("min_lr", self.min_lr, groups)):
            new_lr = max(group["lr"] * self.factor, min_lr)  # lr <- max(lr · factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr


def linear_scaling_lr(base_lr: float, batch_size: int, base_batch_size: int = 256) -> float:
    """The linear scaling rule (Goyal et al., 2017, "Accurate, Large Minibatch SGD"):
    when the minibatch is k times larger, multiply the learning rate by k,

        lr = base_lr · batch_size / base_batch_size

    e.g. ResNet-50's lr 0.1 for 256 images becomes 0.1 · 8192 / 256 = 3.2 for 8192 images.
    Pair it with `warmup_scheduler`: the rule breaks down early in training, when the
    weights change fast, so the large lr is reached gradually.
    """
    if not (batch_size > 0 and base_batch_size > 0):
        raise ValueError(
            f"linear_scaling_lr: batch sizes must be positive, got batch_size={batch_size}, "
            f"base_batch_size={base_batch_size}"
        )
    return base_lr * batch_size / base_batch_size


def warmup_scheduler(
    optimizer: Optimizer, warmup_steps: int, start_factor: float = 0.1, after: LRScheduler | None = None
) -> LinearLR | SequentialLR:
    """Gradual warmup (Goyal et al., 2017): over the first `warmup_steps` steps the lr rises in
    a straight line from start_factor · lr to the optimizer's lr,

        lr_t = lr · (start_factor + (1 - start_factor) · min(t, warmup_steps) / warmup_steps)

    and then stays there, or follows the scheduler `after` (built on the same optimizer), which
    starts at its own step 0 when the warmup ends. Goyal et al. warm up for 5 epochs from the
    small-batch lr, i.e. start_factor = base_batch_size / batch_size:

        optimizer = SGD(params, lr=linear_scaling_lr(0.1, batch_size), momentum=0.9)
        decay = MultiStepLR(optimizer, milestones=[25 * steps, 55 * steps, 75 * steps])
        scheduler = warmup_scheduler(optimizer, 5 * steps, start_factor=256 / batch_size, after=decay)

    Step it once per batch. Returns a LinearLR, or a SequentialLR of it and `after`.
    """
    if not (isinstance(warmup_steps, int) and warmup_steps > 0):
        raise ValueError(f"warmup_scheduler: warmup_steps must be a positive integer, got {warmup_steps}")
    warmup = LinearLR(optimizer, start_factor, 1.0, total_iters=warmup_steps)
    if after is None:
        return warmup
    return SequentialLR(optimizer, [warmup, after], milestones=[warmup_steps])
