"""Type aliases shared by the annotated signatures, under PyTorch's names (torch.types, torch.nn.common_types).

They name plain Python and NumPy types only, so any module can import them without a cycle;
a signature that takes a tensor says `Tensor` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np
from numpy.typing import ArrayLike

from .devices import device

__all__ = [
    "ArrayLike",
    "Number",
    "Split",
    "_bool",
    "_float",
    "_int",
    "_device",
    "_dtype",
    "_generator",
    "_int_or_size",
    "_size",
    "_size_1_t",
    "_size_2_t",
    "_size_any_t",
]

Number = Union[int, float, bool]  # a Python scalar operand (torch.types.Number)
# The builtins under other names, for hints inside classes that define methods called bool, int
# and float (Tensor): there a type checker reads a bare `bool` as the method (torch.types does the same).
_bool = bool
_int = int
_float = float
_size = Sequence[int]  # a shape: zeros((2, 3)), x.reshape([2, 3]); sizes given back are tuples
_int_or_size = Union[int, Sequence[int]]  # a dim or several: sum(dim=1), sum(dim=(0, 1))
_size_any_t = Union[int, tuple[int, ...]]  # a kernel, stride or padding of any rank
_size_1_t = Union[int, tuple[int]]
_size_2_t = Union[int, tuple[int, int]]
_dtype = Union[np.dtype, type, str]  # npgrad.float32, np.float64, "int64": anything np.dtype() takes
_device = Union[device, str]  # device("cpu") or "cpu" (the only device npgrad computes on)
_generator = Union[np.random.Generator, int]  # a numpy Generator, or an int seed for a new one
Split = tuple[np.ndarray, np.ndarray]  # a data split as arrays: (images or features, labels)
