"""Dropout: in training, zero each element with probability p and scale the rest by 1/(1-p)."""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class Dropout(Module):
    """Identity in eval mode; in train mode y = x * mask / (1 - p) with mask ~ Bernoulli(1 - p),
    so E[y] = x. `inplace` is accepted for compatibility; npgrad returns a new tensor."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
