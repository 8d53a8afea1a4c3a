"""Multi-head attention, as torch.nn.MultiheadAttention.

The queries, keys and values are projected by one (3E, E) matrix, in_proj_weight (rows
q, k, v), and in_proj_bias; each of num_heads heads attends with its E / num_heads columns
(scaled dot-product attention, one fused op); out_proj mixes the heads' concatenated outputs.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..functional.attention import additive_mask, attention
from ..functional.linalg import linear
from ..tensor import Tensor
from ..types import _dtype
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter


class MultiheadAttention(Module):
    """Inputs (L, N, E) (or (N, L, E) with batch_first, or unbatched (L, E)); returns the
    attention output, shaped like the query, and the attention weights (N, L, S) averaged over
    the heads (or (N, num_heads, L, S) with average_attn_weights=False), None unless need_weights.

    attn_mask (L, S) or (N * num_heads, L, S) and key_padding_mask (N, S) are boolean (True =
    may NOT attend, as in PyTorch's layer; the opposite of scaled_dot_product_attention) or
    float (added to the scores). `dropout` drops attention weights in training. Initialised as
    PyTorch: xavier_uniform_ in_proj_weight, zero biases, out_proj's weight as a Linear's.
    A query that may attend to no key gets zero weights (PyTorch's weights are NaN there).
    kdim/vdim other than embed_dim, add_bias_kv and add_zero_attn are not supported.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim must be a positive multiple of num_heads, got "
                f"embed_dim={embed_dim} and num_heads={num_heads}"
            )
        if add_bias_kv or add_zero_attn or kdim not in (None, embed_dim) or vdim not in (None, embed_dim):
            raise ValueError(
                "MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim other than embed_dim are not supported"
            )
        self.embed_dim, self.kdim, self.vdim, self._qkv_same_embed_dim = embed_dim, embed_dim, embed_dim, True
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        for b in (self.in_proj_bias, self.out_proj.bias):
            if b is not None:
                init.zeros_(b)

    def _name(self):
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        if is_causal and attn_mask is None:
            raise ValueError(
                f"{self._name()}: is_causal is a hint that attn_mask is the causal mask; pass "
                f"attn_mask too (Transformer.generate_square_subsequent_mask makes one)"
            )
        batched = self._check_inputs(query, key, value)
        q, k, v = (self._batch_first(t, batched) for t in (query, key, value))
        batch, length, source_length = q.shape[0], q.shape[1], k.shape[1]
        q, k, v = self._project(q, k, v, query is key and key is value)
        mask = self._mask(attn_mask, key_padding_mask, batch, length, source_length, batched, q.dtype)
        p = self.dropout if self.training else 0.0
        out = attention(self._name(), q, k, v, mask, p, need_weights=need_weights)
        out, weights = out if need_weights else (out, None)
        out = self.out_proj(out.transpose(1, 2).reshape(batch, length, self.embed_dim))
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            return out.squeeze(0), (weights.squeeze(0) if weights is not None else None)
        return (out if self.batch_first else out.transpose(0, 1)), weights

    def _check_inputs(self, query, key, value):
        """Whether the inputs are batched; a clear error when they do not fit the layer."""
        shapes = tuple(tuple(t.shape) for t in (query, key, value))
        ok = query.ndim in (2, 3) and all(len(s) == query.ndim and s[-1] == self.embed_dim for s in shapes)
        batch_dim = 0 if self.batch_first else 1
        ok = (
            ok
            and shapes[1][:-1] == shapes[2][:-1]
            and (query.ndim == 2 or shapes[0][batch_dim] == shapes[1][batch_dim])
        )
        if not ok:
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ValueError(
                f"{self._name()}: expected query, key and value {layout} or unbatched (L, E) with "
                f"E = {self.embed_dim}, one batch size and as many keys as values, got shapes "
                f"{shapes[0]}, {shapes[1]} and {shapes[2]}"
            )
        return query.ndim == 3

    def _batch_first(self, t, batched):
        if not batched:
            return t.unsqueeze(0)
        return t if self.batch_first else t.transpose(0, 1)

    def _project(self, query, key, value, self_attention):
        """(N, L, E) inputs -> per-head queries, keys and values (N, heads, L or S, head_dim)."""
        weight, bias, e = self.in_proj_weight, self.in_proj_bias, self.embed_dim
        if self_attention:  # one GEMM for all three
            qkv = linear(query, weight, bias)
            return tuple(self._split_heads(qkv[..., i * e : (i + 1) * e]) for i in range(3))
        return tuple(
            self._split_heads(
                linear(x, weight[i * e : (i + 1) * e], None if bias is None else bias[i * e : (i + 1) * e])
            )
            for i, x in enumerate((query, key, value))
        )

    def _split_heads(self, x):
        return x.reshape(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def _mask(self, attn_mask, key_padding_mask, batch, length, source_length, batched, dtype):
        """attn_mask and key_padding_mask as one additive float mask for (N, heads, L, S) scores."""
        mask = None
        if attn_mask is not None:
            heads_shape = (
                (batch * self.num_heads, length, source_length) if batched else (self.num_heads, length, source_length)
            )
            if tuple(attn_mask.shape) not in ((length, source_length), heads_shape):
                raise ValueError(
                    f"{self._name()}: expected attn_mask of shape {(length, source_length)} or "
                    f"{heads_shape}, got {tuple(attn_mask.shape)}"
                )
            mask = _allowed_to_additive(self._name(), "attn_mask", attn_mask, dtype)
            if mask.ndim == 3:
                mask = mask.reshape(batch, self.num_heads, length, source_length)
        if key_padding_mask is not None:
            expected = (batch, source_length) if batched else (source_length,)
            if tuple(key_padding_mask.shape) != expected:
                raise ValueError(
                    f"{self._name()}: expected key_padding_mask of shape {expected}, got "
                    f"{tuple(key_padding_mask.shape)}"
                )
            padding = _allowed_to_additive(self._name(), "key_padding_mask", key_padding_mask, dtype)
            padding = padding.reshape(batch, 1, 1, source_length)
            mask = padding if mask is None else mask + padding
        return mask


def _allowed_to_additive(where, name, mask, dtype):
    """A layer's mask (bool: True = may NOT attend; or float) as a float array to add to the scores."""
    array = np.asarray(mask)
    if array.dtype == np.bool_:
        return additive_mask(where, ~array, dtype)
    if array.dtype.kind != "f":
        raise TypeError(f"{where}: expected a bool or floating {name}, got {array.dtype}")
    return array.astype(dtype, copy=False)
