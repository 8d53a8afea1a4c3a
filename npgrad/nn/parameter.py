"""Parameter: a tensor that a Module registers as one of its learnable weights."""

import numpy as np

from .. import dtypes
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that Module attributes register.

    Like torch.nn.Parameter it wraps the given data without copying it (an ndarray keeps its
    dtype); a list or number becomes the default floating type. Operations on a Parameter
    give plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtypes.get_default_dtype())
        super().__init__(data._data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
