"""Dropout: during training, zero random elements and rescale the others (inverted dropout)."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..random import default_generator
from ..tensor import Tensor


class DropoutFunction(Function):
    """y = x * mask with mask = keep / (1 - p), keep ~ Bernoulli(1 - p); dL/dx = mask * g.
    Textbook twin: npgrad.textbook.DropoutFunction."""

    def forward(self, x, *, p):
        keep = default_generator().random(x.shape, dtype=np.float32) >= p
        self.mask = keep.astype(x.dtype)
        self.mask *= 1 / (1 - p) if p < 1 else 0.0
        return x * self.mask

    def backward(self, grad):
        return grad * self.mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """While training, zero each element with probability p and scale the survivors by
    1 / (1 - p), so that the expected output equals the input; the identity otherwise.
    The mask comes from npgrad's global generator (npgrad.manual_seed makes it repeatable).
    `inplace` is accepted for PyTorch compatibility; the result is always a new tensor."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    if not training or p == 0:
        return input
    return DropoutFunction.apply(input, p=p)
