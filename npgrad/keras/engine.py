"""The symbolic side of the functional API: KerasTensor, the Layer base class and Input.

Calling a layer on a KerasTensor runs nothing: the layer builds its npgrad modules for that
input shape (the first time), works out the output shape, and returns a new KerasTensor
that remembers the layer and its inputs. Model(inputs, outputs) later walks those links
back from the outputs and replays them on real Tensors. Calling a layer on a real Tensor
runs it (building it first from the tensor's shape if needed).

Shapes are Keras's: a tuple whose first entry, the batch size, is None, e.g. (None, 784).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

import numpy as np

from ..nn.module import Module
from ..tensor import Tensor
from ..types import ArrayLike, _dtype

Shape = tuple[Optional[int], ...]  # a Keras shape: (None, 28, 28, 1), the batch size None
InputShape = Union[Shape, list[Shape]]  # a layer's input shape; a list of them for Add and Concatenate

_name_counters = defaultdict(itertools.count)


def unique_name(base: str) -> str:
    """'dense', then 'dense_1', 'dense_2', ... as Keras numbers its layers and models."""
    number = next(_name_counters[base])
    return base if number == 0 else f"{base}_{number}"


def clear_session() -> None:
    """Restart layer and model numbering (the next Dense is 'dense' again), as in Keras."""
    _name_counters.clear()


def snake_case(class_name: str) -> str:
    """'Dense' -> 'dense', 'MaxPooling2D' -> 'max_pooling2d', 'BatchNormalization' -> 'batch_normalization'."""
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


class KerasTensor:
    """A placeholder for the output of `layer` applied to `inputs` (a KerasTensor or a list
    of them; None for a model input). It holds a shape, never values."""

    def __init__(
        self, shape: Iterable[int | None], layer: Layer, inputs: KerasTensor | list[KerasTensor] | None = None
    ) -> None:
        self.shape = tuple(shape)
        self.layer = layer
        self.inputs = inputs

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def parents(self) -> list[KerasTensor]:
        if self.inputs is None:
            return []
        return list(self.inputs) if isinstance(self.inputs, list) else [self.inputs]

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, from {self.layer.name}>"


def shape_of(inputs: KerasTensor | Tensor | Sequence[KerasTensor | Tensor]) -> InputShape:
    """The Keras shape (batch as None) of a KerasTensor or Tensor, or a list of them."""
    if isinstance(inputs, (list, tuple)):
        return [shape_of(x) for x in inputs]
    if isinstance(inputs, KerasTensor):
        return inputs.shape
    return (None, *inputs.shape[1:])


def _is_symbolic(inputs: Any) -> bool:
    if isinstance(inputs, (list, tuple)):
        return any(isinstance(x, KerasTensor) for x in inputs)
    return isinstance(inputs, KerasTensor)


class Layer(Module):
    """A Keras layer: an npgrad Module that builds its inner modules once it knows its input shape.

    Subclasses implement build(input_shape), compute_output_shape(input_shape) and
    forward(x); input_shape is a Keras shape (or a list of them for merge layers).
    `input_shape=(784,)` on a Sequential model's first layer declares the model's input, as
    in Keras 2.
    """

    def __init__(self, name: str | None = None, input_shape: int | Iterable[int | None] | None = None) -> None:
        super().__init__()
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.declared_input_shape = None if input_shape is None else (None, *_as_shape_tuple(input_shape))
        self.built_input_shape = None

    @property
    def built(self) -> bool:
        return self.built_input_shape is not None

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if _is_symbolic(inputs):
            return self._call_symbolic(inputs)
        self._build_once(shape_of(inputs))
        return super().__call__(inputs, *args, **kwargs)

    def _call_symbolic(self, inputs: KerasTensor | Sequence[KerasTensor]) -> KerasTensor:
        input_shape = shape_of(inputs)
        self._build_once(input_shape)
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else inputs
        return KerasTensor(self.compute_output_shape(input_shape), layer=self, inputs=inputs)

    def _build_once(self, input_shape: InputShape) -> None:
        if not self.built:
            self.build(input_shape)
            self.built_input_shape = input_shape
        elif not _compatible(self.built_input_shape, input_shape):
            raise ValueError(
                f"{self.describe()}: expected input of shape {_text(self.built_input_shape)}, got {_text(input_shape)}"
            )

    def build(self, input_shape: InputShape) -> None:
        """Create the npgrad modules for inputs of `input_shape` (nothing for layers without weights)."""

    def compute_output_shape(self, input_shape: InputShape) -> InputShape:
        return input_shape

    def describe(self) -> str:
        """'dense_1 (Dense)', the way errors and summaries name a layer."""
        return f"{self.name} ({type(self).__name__})"

    def get_weights(self) -> list[np.ndarray]:
        return get_weights(self)

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        set_weights(self, weights, self.describe())

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def get_weights(module: Module) -> list[np.ndarray]:
    """Copies of the module's parameters, in parameters() order (npgrad's layouts: a Dense
    kernel is (units, inputs), PyTorch's Linear weight, not Keras's (inputs, units))."""
    return [param._data.copy() for param in module.parameters()]


def set_weights(module: Module, weights: Sequence[ArrayLike], owner: str) -> None:
    """Copy arrays into the module's parameters, in the order and shapes get_weights gives."""
    params = list(module.parameters())
    if len(weights) != len(params):
        raise ValueError(f"{owner}: expected {len(params)} weight arrays, got {len(weights)}")
    for param, value in zip(params, weights):
        value = np.asarray(value)
        if value.shape != param.shape:
            raise ValueError(f"{owner}: expected a weight of shape {tuple(param.shape)}, got {value.shape}")
        param._data[...] = value


def _compatible(built: InputShape, given: InputShape) -> bool:
    """Shapes agree where both are known (None matches anything)."""
    if isinstance(built, list) or isinstance(given, list):
        return (
            isinstance(built, list)
            and isinstance(given, list)
            and len(built) == len(given)
            and all(map(_compatible, built, given))
        )
    return len(built) == len(given) and all(a is None or b is None or a == b for a, b in zip(built, given))


def _as_shape_tuple(shape: int | Iterable[int | None]) -> Shape:
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


def _text(shape: InputShape) -> str:
    return ", ".join(map(_text, shape)) if isinstance(shape, list) else str(tuple(shape))


class InputLayer(Layer):
    """Where data enters a model: each batch is checked against the declared shape (as every
    layer's input is, in Layer.__call__), turned into a Tensor if it is an array, and passed on."""

    def __init__(self, shape: int | Iterable[int | None], name: str | None = None, dtype: _dtype = "float32") -> None:
        super().__init__(name=name)
        self.built_input_shape = (None, *_as_shape_tuple(shape))
        self.dtype = np.dtype(dtype)

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        return x if isinstance(x, Tensor) else Tensor(np.asarray(x, self.dtype))


def Input(shape: int | Iterable[int | None], name: str | None = None, dtype: _dtype = "float32") -> KerasTensor:
    """A model input, e.g. Input(shape=(784,)) for batches of shape (N, 784), or
    Input(shape=(28, 28, 1)) for channels-last images."""
    layer = InputLayer(shape, name=name, dtype=dtype)
    return KerasTensor(layer.built_input_shape, layer=layer)
