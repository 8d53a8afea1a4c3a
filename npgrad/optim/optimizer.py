"""Optimizer: the base class of every update rule, with PyTorch's parameter groups and state.

An optimizer holds `param_groups`, a list of dicts, each with a list of `params` and the
options (lr, momentum, ...) for them, and `state`, a dict from parameter to whatever the
rule keeps between steps (momentum buffers, moment estimates, step counts). A subclass only
writes `_update(param, grad, state, group)`: the math for one parameter, in place on its
ndarray. The base class walks the groups, skips parameters without a gradient, applies
`maximize` and L2 weight decay, and saves and restores everything in PyTorch's layout.

Every update works in place on `param.data` through NumPy's `out=` arguments and a few
reusable work arrays, so a step allocates nothing and float32 stays float32.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, Union

import numpy as np

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor

# What an optimizer takes (torch.optim.optimizer.ParamsT): tensors, or dicts {"params": [...], option: value}
ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]]]
T = TypeVar("T")


def moving_average_(average: np.ndarray, x: np.ndarray, decay: float, work: np.ndarray) -> None:
    """average <- decay · average + (1 - decay) · x, in place; `work` (may be x) is overwritten.

    Computed as average + (1 - decay) · (x - average): with decay near 1 (Adam's 0.999) this
    keeps float32's precision, where decay · average + (1 - decay) · x would cancel digits.
    """
    np.subtract(x, average, out=work)
    work *= 1.0 - decay
    average += work


def add_scaled_(target: np.ndarray, scale: float, x: np.ndarray, work: np.ndarray) -> None:
    """target <- target + scale * x, in place; `work` (shaped like x, may be x) holds the product."""
    if scale == 1:
        target += x
    else:
        np.multiply(x, scale, out=work)
        target += work


def _is_single_tensor(params):
    return isinstance(params, np.ndarray) or (hasattr(params, "data") and hasattr(params, "grad"))


class Optimizer:
    """Base class of the optimizers.

    params:   an iterable of tensors, or of dicts {"params": [...], option: value, ...} that
              give some parameters their own options (the rest come from `defaults`).
    defaults: the options of this optimizer with their values for groups that omit them.
    """

    non_negative: tuple[str, ...] = ()  # the options that must be >= 0, e.g. ("lr", "weight_decay")
    fractions: tuple[tuple[str, int], ...] = ()  # (option, index) pairs of tuple options that must lie in [0, 1)

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if _is_single_tensor(params):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors or of "
                f"dicts, got a single {type(params).__name__}; wrap it in a list"
            )
        self._check(defaults)
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._work_arrays: dict[tuple[str, np.dtype], np.ndarray] = {}
        groups: list[Any] = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check(self, options):
        """Raise a ValueError naming any option whose value is out of range."""
        name = type(self).__name__
        for key in self.non_negative:
            if not options[key] >= 0:
                raise ValueError(f"{name}: invalid {key} value {options[key]!r}, expected a number >= 0")
        for key, index in self.fractions:
            value = options[key][index]
            if not 0 <= value < 1:
                raise ValueError(f"{name}: invalid {key}[{index}] value {value!r}, expected 0 <= value < 1")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options, e.g. a new layer during fine-tuning."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{type(self).__name__}: a param group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{type(self).__name__}: params must be an ordered collection "
                "(a list), not a set whose order changes between runs"
            )
        params = [params] if _is_single_tensor(params) else list(params)
        for p in params:
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(f"{type(self).__name__}: can only optimize tensors, got {type(p).__name__}")
            if not getattr(p, "is_leaf", True):
                raise ValueError(
                    f"{type(self).__name__}: can't optimize a non-leaf tensor "
                    "(one computed from others); optimize the tensors it came from"
                )
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                f"{type(self).__name__}: a parameter group holds the same parameter "
                "twice; it will be updated twice per step",
                stacklevel=2,
            )
        group = {**self.defaults, **param_group, "params": params}
        self._check(group)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing.intersection(id(p) for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (the default), or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data.fill(0)

    def step(self, closure: Callable[[], T] | None = None) -> T | None:
        """Update every parameter that has a gradient. `closure`, if given, re-evaluates the
        model and returns the loss (it runs with gradients enabled); step returns that loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p._data, self._gradient(p, group), self.state[p], group)
                        p._bump_version()  # graphs that saved p before this step can no longer backward
        return loss

    def _update(self, param, grad, state, group):
        """Update the ndarray `param` in place from `grad` (never modify grad: it may be p.grad)."""
        raise NotImplementedError

    def _gradient(self, p, group):
        """The direction of this step: g = ∇f (or -∇f when maximizing) + λθ for L2 weight decay.

        Decoupled weight decay (AdamW) shrinks θ itself, so it is left to the optimizer."""
        if p.grad._data.shape != p._data.shape:
            raise ValueError(
                f"{type(self).__name__}: gradient of shape {p.grad.shape} does not "
                f"match its parameter of shape {p._data.shape}"
            )
        decay = 0.0 if group.get("decoupled_weight_decay") else group.get("weight_decay", 0.0)
        maximize = group.get("maximize", False)
        if not decay and not maximize:
            return p.grad._data
        g = self._work_like(p._data, "gradient")
        np.multiply(p._data, decay, out=g)  # λθ
        (np.subtract if maximize else np.add)(g, p.grad._data, out=g)  # g = λθ ∓ ∇f
        return g

    def _work_like(self, array, name="work"):
        """A scratch array shaped like `array`, reused across parameters and steps (so updates
        allocate nothing); its contents are garbage. Different names give different arrays."""
        key = (name, array.dtype)
        buffer = self._work_arrays.get(key)
        if buffer is None or buffer.size < array.size:
            buffer = self._work_arrays[key] = np.empty(array.size, array.dtype)
        return buffer[: array.size].reshape(array.shape)

    # -- saving and restoring --------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: ndarray or number}}, "param_groups": [{"params": [index, ...],
        option: value, ...}]}, PyTorch's layout: parameters are numbered in group order.
        The arrays are the optimizer's own (not copies), as in PyTorch."""
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index_of.setdefault(id(p), len(index_of)) for p in group["params"]]
            groups.append(packed)
        state = {index_of[id(p)]: dict(values) for p, values in self.state.items() if values and id(p) in index_of}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict saved from an optimizer with the same groups of the same sizes.
        Arrays are copied and cast to their parameter's dtype; "step" counts stay numbers."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{type(self).__name__}: loaded state dict has {len(saved_groups)} "
                f"parameter groups, this optimizer has {len(self.param_groups)}"
            )
        for saved, group in zip(saved_groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{type(self).__name__}: a loaded parameter group has "
                    f"{len(saved['params'])} parameters, this optimizer's has {len(group['params'])}"
                )
        param_of = {
            index: p
            for saved, group in zip(saved_groups, self.param_groups)
            for index, p in zip(saved["params"], group["params"])
        }
        self.state = defaultdict(dict)
        for index, values in state_dict["state"].items():
            p = param_of[int(index)]
            self.state[p] = {name: _restore(name, value, p._data.dtype) for name, value in values.items()}
        self.param_groups = [
            {**group, **saved, "params": group["params"]} for saved, group in zip(saved_groups, self.param_groups)
        ]

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines) + "\n)"


def _restore(name, value, dtype):
    """A saved state value as this optimizer keeps it: a number for "step", else a fresh array."""
    if name == "step":
        step = float(np.asarray(value))
        return int(step) if step.is_integer() else step
    if value is None or isinstance(value, (int, float)):
        return value
    return np.array(value, dtype=dtype)
