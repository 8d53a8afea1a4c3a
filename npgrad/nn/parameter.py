"""Parameter: a tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from ..types import ArrayLike


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that Module attributes register.

    Like torch.nn.Parameter it wraps the given data without copying it (an ndarray keeps its
    dtype); a list or number becomes the default floating type. Operations on a Parameter
    give plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data: Tensor | ArrayLike | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtypes.get_default_dtype())
        super().__init__(data._data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
