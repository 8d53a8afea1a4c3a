"""Containers: Sequential, ModuleList and ModuleDict; ParameterList and ParameterDict."""

from __future__ import annotations

import itertools
import operator
from collections import OrderedDict
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, TypeVar

from .module import Module, _indent
from .parameter import Parameter


S = TypeVar("S", bound="_ModuleSequence")


class _ModuleSequence(Module):
    """Modules kept under the keys '0', '1', ...: indexing, slicing, len, iteration, editing."""

    def _position(self, index: int) -> int:
        n = len(self._modules)
        index = operator.index(index)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for {n} modules")
        return index % n

    def _sliced(self, items: list[tuple[str, Module]]) -> Module:
        raise NotImplementedError

    def __getitem__(self, index: int | slice) -> Module:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return self._sliced(items[index])
        return items[self._position(index)][1]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[self._position(index)]
        setattr(self, key, module)

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [keys[self._position(index)]]:
            del self._modules[key]
        self._renumber(list(self._modules.values()))

    def _renumber(self, modules: list[Module]) -> None:
        """Store `modules` under the keys '0', '1', ... in order."""
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self: S, module: Module) -> S:
        self.add_module(str(len(self)), module)
        return self

    def extend(self: S, modules: Iterable[Module]) -> S:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module


class Sequential(_ModuleSequence):
    """Modules applied one after another: Sequential(Linear(2, 3), ReLU()) or
    Sequential(OrderedDict([('fc', Linear(2, 3)), ('act', ReLU())])) for named layers."""

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            self.extend(modules)

    def _sliced(self, items: list[tuple[str, Module]]) -> Module:
        return Sequential(OrderedDict(items))  # a slice keeps the layers' names

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the owner registers (a plain list would hide them)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _sliced(self, items: list[tuple[str, Module]]) -> Module:
        return ModuleList(module for _, module in items)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __repr__(self) -> str:
        """Runs of identical modules collapse to one line, '(0-2): 3 x Linear(...)', as in PyTorch."""
        if not self._modules:
            return self._get_name() + "()"
        lines, start = [], 0
        for text, run in itertools.groupby(repr(module) for module in self):
            count = len(list(run))
            end = start + count - 1
            lines.append(_indent(f"({start}): {text}" if count == 1 else f"({start}-{end}): {count} x {text}"))
            start += count
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class _RegistryDict(Module):
    """The dict interface of ModuleDict and ParameterDict: keys mapped to the members of one of
    the module's registries (`registry`, "_modules" or "_parameters"), in insertion order."""

    registry = ""

    def _members(self) -> dict[str, Any]:
        return self.__dict__[self.registry]

    def __getitem__(self, key: str) -> Any:
        return self._members()[key]

    def __delitem__(self, key: str) -> None:
        del self._members()[key]

    def __len__(self) -> int:
        return len(self._members())

    def __iter__(self) -> Iterator[str]:
        return iter(self._members())

    def __contains__(self, key: object) -> bool:
        return key in self._members()

    def keys(self) -> KeysView[str]:
        return self._members().keys()

    def items(self) -> ItemsView[str, Any]:
        return self._members().items()

    def values(self) -> ValuesView[Any]:
        return self._members().values()

    def clear(self) -> None:
        self._members().clear()

    def pop(self, key: str) -> Any:
        return self._members().pop(key)

    def update(self, members: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add (key, member) pairs from a mapping or an iterable of pairs."""
        pairs = members.items() if isinstance(members, (Mapping, _RegistryDict)) else members
        for key, member in pairs:
            self[key] = member


class ModuleDict(_RegistryDict):
    """A dict of modules (insertion ordered) whose parameters the owner registers."""

    registry = "_modules"

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)


def _as_parameter(value: Any) -> Parameter:
    """value itself when it is a Parameter, else a new Parameter holding it (as torch wraps tensors)."""
    return value if isinstance(value, Parameter) else Parameter(value)


def _parameter_lines(parameters: Mapping[str, Parameter]) -> str:
    """'(key): Parameter containing: [npgrad.float32 of size 2x3]', one line a parameter."""
    return "\n".join(
        f"({key}): Parameter containing: [npgrad.{p.dtype} of size {'x'.join(map(str, p.shape))}]"
        for key, p in parameters.items()
    )


class ParameterList(Module):
    """A list of parameters, registered under the keys '0', '1', ... so that parameters(),
    state_dict() and the optimizer see them (a plain list would hide them)."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, index: int | slice) -> Parameter | ParameterList:
        values = list(self._parameters.values())
        return ParameterList(values[index]) if isinstance(index, slice) else values[index]

    def __setitem__(self, index: int, value: Any) -> None:
        key = list(self._parameters)[index]
        self._parameters[key] = _as_parameter(value)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def append(self, value: Any) -> ParameterList:
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return _parameter_lines(self._parameters)


class ParameterDict(_RegistryDict):
    """A dict of parameters (insertion ordered) that parameters(), state_dict() and the
    optimizer see, under their keys."""

    registry = "_parameters"

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self._parameters:
            del self._parameters[key]
        self.register_parameter(key, _as_parameter(value))

    def extra_repr(self) -> str:
        return _parameter_lines(self._parameters)
