"""Embedding: a lookup table of num_embeddings vectors of size embedding_dim, indexed by token id."""

import numpy as np

from .. import dtypes
from ..functional.embedding import _padding_index, lookup
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
        num_embeddings,
        embedding_dim,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
        _weight=None,
        _freeze=False,
        dtype=None,
    ):
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

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input):
        return lookup(
            self, input, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze=True,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
    ):
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

    def extra_repr(self):
        return options_repr(
            self,
            f"{self.num_embeddings}, {self.embedding_dim}",
            padding_idx=None,
            max_norm=None,
            norm_type=2,
            scale_grad_by_freq=False,
        )
