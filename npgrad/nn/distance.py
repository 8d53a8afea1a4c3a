"""Similarity between pairs of vectors: CosineSimilarity."""

from __future__ import annotations

from ..functional.reduction import cosine_similarity
from ..tensor import Tensor
from .module import Module


class CosineSimilarity(Module):
    """x1 · x2 / (max(||x1||, eps) max(||x2||, eps)) along dim (F.cosine_similarity)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)
