"""(Inverted) dropout during training, as the lecture writes it."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..random import default_generator


class DropoutFunction(Function):
    """m ~ Bernoulli(1 - p) for every element, y = x * m / (1 - p): each unit is dropped with
    probability p and the survivors are scaled up, so that E[y] = x and nothing changes at test
    time. Backward: dL/dx = dL/dy * m / (1 - p).

    The mask is drawn from npgrad's global generator exactly as the fast op
    (npgrad.functional.dropout.DropoutFunction) draws it, so after npgrad.manual_seed both give the same
    mask. The fast op also accepts p = 1 (everything dropped) and is skipped in evaluation.
    """

    def forward(self, x: np.ndarray, *, p: float) -> np.ndarray:
        m = default_generator().random(x.shape, dtype="float32") >= p
        self.mask = m.astype(x.dtype) / (1 - p)
        return x * self.mask

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.mask
