"""Module: the base class of every layer and model.

A Module keeps its learnable Parameters, its buffers (tensors that are state but not learned,
such as BatchNorm's running mean) and its submodules in three ordered dicts, filled by
attribute assignment (`self.fc = Linear(2, 3)`) in the order the attributes are assigned.
Names, iteration order, repr and state_dict keys follow PyTorch exactly, so a PyTorch
state_dict converted to NumPy arrays loads as is.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NoReturn, TypeVar

import numpy as np

from ..autograd import is_grad_enabled
from ..devices import check_device, dtype_of_to_call
from ..tensor import Tensor
from ..types import _device, _dtype
from .hooks import BackwardHookCall, RemovableHandle
from .parameter import Parameter

T = TypeVar("T", bound="Module")  # a method that returns self returns the caller's own class
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

_REGISTRIES = ("_parameters", "_buffers", "_modules")


class Module:
    """Subclasses call `super().__init__()` first, assign their layers and parameters as
    attributes, and implement `forward`. Call the module (`model(x)`), not forward, so
    that hooks run."""

    # Declared for type checkers (set in __init__ by object.__setattr__, not as class attributes).
    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]
    _forward_pre_hooks: dict[int, Callable[..., Any]]
    _forward_hooks: dict[int, Callable[..., Any]]
    _backward_hooks: dict[int, Callable[..., Any]]

    def __init__(self) -> None:
        set_attribute = object.__setattr__
        set_attribute(self, "training", True)
        set_attribute(self, "_parameters", {})
        set_attribute(self, "_buffers", {})
        set_attribute(self, "_non_persistent_buffers_set", set())
        set_attribute(self, "_modules", {})
        set_attribute(self, "_forward_pre_hooks", {})
        set_attribute(self, "_forward_hooks", {})
        set_attribute(self, "_backward_hooks", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # -- calling -------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward_hooks = None
        if self._backward_hooks and is_grad_enabled():
            backward_hooks = BackwardHookCall(self, self._backward_hooks)
            args = backward_hooks.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return backward_hooks.wrap_outputs(output) if backward_hooks else output

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple[Any, ...]], Any]) -> RemovableHandle:
        """hook(module, args) runs before forward; it may return replacement args."""
        return self._add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any]) -> RemovableHandle:
        """hook(module, args, output) runs after forward; it may return a replacement output."""
        return self._add_hook(self._forward_hooks, hook)

    def register_full_backward_hook(
        self, hook: Callable[[Module, tuple[Tensor | None, ...], tuple[Tensor | None, ...]], Any]
    ) -> RemovableHandle:
        """hook(module, grad_input, grad_output) runs during backward; see npgrad.nn.hooks
        for exactly what grad_input and grad_output hold. It may return a new grad_input."""
        return self._add_hook(self._backward_hooks, hook)

    @staticmethod
    def _add_hook(hooks: dict[int, Callable[..., Any]], hook: Callable[..., Any]) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # -- registration --------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._require_init("parameters")
            self._unregister(name, keep="_parameters")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._require_init("submodules")
            self._unregister(name, keep="_modules")
            self._modules[name] = value
        else:
            registry = self._registry_holding(name)
            if registry is None:
                object.__setattr__(self, name, value)
            else:
                self._replace_member(registry, name, value)

    def __getattr__(self, name: str) -> Tensor | Module:  # only called when normal lookup fails
        members = self.__dict__
        for registry in _REGISTRIES:
            if name in members.get(registry, ()):
                return members[registry][name]
        hint = "" if "_parameters" in members else " (did its __init__ call super().__init__()?)"
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'{hint}")

    def __delattr__(self, name: str) -> None:
        registry = self._registry_holding(name)
        if registry is None:
            object.__delattr__(self, name)
        else:
            del self.__dict__[registry][name]
            self._non_persistent_buffers_set.discard(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()).union(*(self.__dict__.get(r, ()) for r in _REGISTRIES)))

    def _registry_holding(self, name):
        for registry in _REGISTRIES:
            if name in self.__dict__.get(registry, ()):
                return registry
        return None

    def _require_init(self, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign {what} before Module.__init__() "
                "is called; call super().__init__() first"
            )

    def _unregister(self, name, keep):
        """Forget `name` everywhere but in registry `keep` (where replacing it keeps its place)."""
        self.__dict__.pop(name, None)
        for registry in _REGISTRIES:
            if registry != keep:
                self.__dict__[registry].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def _replace_member(self, registry, name, value):
        """Assign a non-Parameter, non-Module value to a registered name: None clears it, and
        a buffer also accepts a Tensor."""
        if value is None or (registry == "_buffers" and isinstance(value, Tensor)):
            self.__dict__[registry][name] = value
            return
        kind, expected = {
            "_parameters": ("parameter", "an nn.Parameter or None"),
            "_buffers": ("buffer", "a Tensor or None"),
            "_modules": ("submodule", "an nn.Module or None"),
        }[registry]
        raise TypeError(
            f"{type(self).__name__}: cannot assign a {type(value).__name__} to {kind} '{name}' (expected {expected})"
        )

    def _check_new_name(self, name, registry, kind):
        self._require_init(kind + "s")
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: {kind} name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{type(self).__name__}: {kind} name must be non-empty and contain no '.', got {name!r}")
        if hasattr(self, name) and name not in self.__dict__[registry]:
            raise KeyError(f"{type(self).__name__}: attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._check_new_name(name, "_parameters", "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}: cannot register a {type(param).__name__} as "
                f"parameter '{name}' (expected an nn.Parameter or None)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is module state but not learned; persistent buffers go into state_dict."""
        self._check_new_name(name, "_buffers", "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"{type(self).__name__}: cannot register a {type(tensor).__name__} as "
                f"buffer '{name}' (expected a Tensor or None)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._check_new_name(name, "_modules", "submodule")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: {type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as 'encoder.layers.0'; '' is the module itself."""
        module = self
        for name in target.split(".") if target else ():
            if name not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no submodule '{name}' (looking up '{target}')")
            module = module._modules[name]
        return module

    # -- iteration -----------------------------------------------------------------------
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, member in getattr(module, registry).items():
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield _join(module_prefix, name), member

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, a parameter shared by several modules only once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # -- modes and bulk changes ----------------------------------------------------------
    def train(self: T, mode: bool = True) -> T:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) here and below."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self: T) -> T:
        return self.train(False)

    def requires_grad_(self: T, requires_grad: bool = True) -> T:
        """Freeze (False) or unfreeze every parameter."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad._data.fill(0)

    def apply(self: T, fn: Callable[[Module], None]) -> T:
        """Call fn on every submodule (children first) and then on self, e.g. to initialise weights."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(
        self: T, *args: Any, dtype: _dtype | None = None, device: _device | None = None, non_blocking: bool = False
    ) -> T:
        """PyTorch's forms: to(dtype), to(device), to(device, dtype), to(tensor). Casts floating
        parameters and buffers (and grads) in place; the Parameter objects stay the same, so an
        optimizer built earlier still holds them. The only device is the CPU."""
        dtype = dtype_of_to_call(args, dtype, device, "module")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.dtype.kind == "f":
                tensor._data = tensor._data.astype(dtype, copy=False)
                if tensor.grad is not None:
                    tensor._grad._data = tensor._grad._data.astype(dtype, copy=False)
        return self

    def float(self: T) -> T:
        return self.to(np.float32)

    def double(self: T) -> T:
        return self.to(np.float64)

    def cpu(self: T) -> T:
        return self

    def cuda(self, device: _device | int | None = None) -> NoReturn:
        check_device("cuda", "module")

    # -- state_dict ----------------------------------------------------------------------
    def _state_tensors(self, prefix=""):
        """(key, tensor) for the parameters and persistent buffers here and below, in
        PyTorch's order; a shared tensor appears under every name it has (as in PyTorch)."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                yield prefix + name, buffer
        for name, module in self._modules.items():
            if module is not None:
                yield from module._state_tensors(prefix + name + ".")

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Any]:
        """OrderedDict key -> a detached Tensor sharing memory with the parameter or buffer, as
        in PyTorch: it changes when the model trains, so keep a snapshot with
        copy.deepcopy(model.state_dict()) or {k: v.clone() for k, v in ...}. keep_vars=True
        gives the tensors themselves."""
        return OrderedDict(
            (key, tensor if keep_vars else tensor.detach()) for key, tensor in self._state_tensors(prefix)
        )

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values (NumPy arrays or Tensors) into the parameters and buffers in place,
        cast to their dtype. A shape mismatch is always an error; missing and unexpected keys
        are errors when strict. Nothing is copied unless everything checks out.
        Returns IncompatibleKeys(missing_keys, unexpected_keys)."""
        own = OrderedDict(self._state_tensors())
        given = {key: _as_array(value) for key, value in state_dict.items()}
        missing = [key for key in own if key not in given]
        unexpected = [key for key in given if key not in own]
        mismatched = [
            (key, given[key].shape, own[key].shape)
            for key in own
            if key in given and given[key].shape != own[key].shape
        ]
        if mismatched or (strict and (missing or unexpected)):
            raise RuntimeError(self._load_error(missing if strict else [], unexpected if strict else [], mismatched))
        for key, tensor in own.items():
            if key in given:
                tensor._data[...] = given[key]  # cast to the tensor's dtype
        return IncompatibleKeys(missing, unexpected)

    def _load_error(self, missing, unexpected, mismatched):
        lines = [f"Error(s) in loading state_dict for {type(self).__name__}:"]
        if missing:
            lines.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if unexpected:
            lines.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        for key, given_shape, own_shape in mismatched:
            lines.append(
                f"size mismatch for {key}: copying a param with shape {given_shape} from "
                f"checkpoint, the shape in current model is {own_shape}."
            )
        return "\n\t".join(lines)

    # -- repr ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr line, e.g. 'in_features=2, ...'."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [_indent(f"({name}): {module!r}") for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return self._get_name() + "()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


@contextlib.contextmanager
def eval_mode(module: Module) -> Iterator[None]:
    """with eval_mode(module): the module in eval mode, and afterwards in the mode it was in."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


def options_repr(module: Module, text: str, **defaults: Any) -> str:
    """text, then ", name=value" for every option of module that differs from its default: the
    extra_repr of layers that, like PyTorch's, print only the options a user changed."""
    changed = (
        f", {name}={getattr(module, name)}"
        for name, default in defaults.items()
        if getattr(module, name, default) != default
    )
    return text + "".join(changed)


def _join(prefix, name):
    return prefix + "." + name if prefix else name


def _indent(text, spaces=2):
    """Indent every line of `text` but the first (it follows a '(name): ' label)."""
    return text.replace("\n", "\n" + " " * spaces)


def _as_array(value):
    if isinstance(value, Tensor):
        return value._data
    return np.asarray(value)
