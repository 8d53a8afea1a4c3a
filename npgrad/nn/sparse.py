"""Embedding: a lookup table of num_embeddings vectors of size embedding_dim, indexed by token id."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..functional.embedding import _padding_index, lookup
from ..tensor import Tensor
from ..types import _dtype
from . import init
from .module import Module, options_repr
from .parameter import Parameter


class Embedding(Module):
    """weight (num_embeddings, embedding_dim) from N(0, 1); forward(ids) = weight[ids], shape
    ids.shape + (embedding_dim,).

    padding_idx: that row starts at 0 and gets no gradient, so it stays a fixed "pad" vector.
    max_norm: every looked-up row whose norm_type norm exceeds max_norm is scaled down to norm
    max_norm, in place, before the lookup (as PyTorch does). scale_grad_by_freq: each row's
    gradient is divided by how often its id occurs in the batch. Sparse gradients are not supported.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if sparse:
            raise ValueError(f"{name}: sparse gradients are not supported; use sparse=False")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_index(name, padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"{name}: expected a weight of shape ({num_embeddings}, {embedding_dim}), "
                    f"got {tuple(_weight.shape)}"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return lookup(
            self, input, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is `embeddings` (2-D, shared, not copied), frozen unless freeze=False."""
        if embeddings.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: expected 2-D embeddings (num_embeddings, "
                f"embedding_dim), got shape {tuple(embeddings.shape)}"
            )
        return cls(
            *embeddings.shape,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
            _weight=embeddings,
            _freeze=freeze,
        )

    def extra_repr(self) -> str:
        return options_repr(
            self,
            f"{self.num_embeddings}, {self.embedding_dim}",
            padding_idx=None,
            max_norm=None,
            norm_type=2,
            scale_grad_by_freq=False,
        )
