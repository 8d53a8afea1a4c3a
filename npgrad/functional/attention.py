"""Attention: scaled_dot_product_attention, one fused Function with a hand-written backward.

out = softmax(q k^T * scale + mask) v, for queries (..., L, E), keys (..., S, E) and values
(..., S, Ev). The mask is additive: 0 where a query may attend, -inf where it may not (a
boolean mask, True = may attend, becomes that), or any float scores to add. Only the attention
probabilities (and the dropout mask) are kept for the backward, besides the inputs.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..random import default_generator
from ..tensor import Tensor
from ..types import ArrayLike, _dtype
from ._util import BLOCK, as_rows, unbroadcast


def _softmax_last_in_place(scores):
    """softmax along the last axis, written into `scores`. A row that is -inf everywhere (a
    query that may attend to nothing), or empty (no keys at all), gets probability 0 everywhere,
    as PyTorch's SDPA does."""
    row_max = scores.max(axis=-1, keepdims=True, initial=-np.inf)  # -inf for an empty row too
    fully_masked = np.isneginf(row_max)
    if fully_masked.any():
        row_max[fully_masked] = 0
    scores -= row_max
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    if fully_masked.any():
        total[fully_masked] = 1
    scores /= total
    return scores


def _softmax_grad_in_place(grad_probs, probs, scale):
    """P = softmax(S) along the last axis: dL/dS = P (dL/dP - sum(dL/dP P)), times `scale`,
    written into grad_probs. Its passes run block by block, a few rows at a time, in cache; each
    row gets the same arithmetic as in passes over the whole arrays."""
    grad_rows, prob_rows = as_rows(grad_probs), as_rows(probs)  # views: both are fresh products
    block = max(1, BLOCK // max(1, grad_probs.shape[-1]))
    for first in range(0, len(grad_rows), block):
        grad, prob = grad_rows[first : first + block], prob_rows[first : first + block]
        grad -= (grad * prob).sum(axis=1, keepdims=True)
        grad *= prob
        grad *= scale
    return grad_probs


class ScaledDotProductAttentionFunction(Function):
    """Outputs softmax(q k^T * scale + mask) dropout v, and the (dropped-out) probabilities
    too when return_weights. A float mask given as a tensor that requires grad gets one.
    Textbook twin: npgrad.textbook.AttentionFunction."""

    def forward(self, q, k, v, mask, *, scale, dropout_p, return_weights):
        scores = np.matmul(q, np.swapaxes(k, -1, -2))
        scores *= scale
        if mask is not None:
            scores += mask
        self.probs = _softmax_last_in_place(scores)
        self.drop = None
        weights = self.probs
        if dropout_p > 0:
            keep = default_generator().random(weights.shape, dtype=np.float32) >= dropout_p
            self.drop = keep.astype(q.dtype) * (1 / (1 - dropout_p) if dropout_p < 1 else 0.0)
            weights = weights * self.drop
        self.q, self.k, self.v, self.scale, self.mask_shape = q, k, v, scale, getattr(mask, "shape", None)
        out = np.matmul(weights, v)
        return (out, weights.copy() if weights is self.probs else weights) if return_weights else out

    def backward(self, grad, grad_weights=None):
        probs, drop = self.probs, self.drop
        weights = probs if drop is None else probs * drop
        grad_v = unbroadcast(np.matmul(np.swapaxes(weights, -1, -2), grad), self.v.shape)  # dL/dV = W^T dO
        grad_probs = np.matmul(grad, np.swapaxes(self.v, -1, -2))  # dL/dW = dO V^T
        if grad_weights is not None:
            grad_probs += grad_weights
        if drop is not None:
            grad_probs *= drop
        # S = q k^T * scale + mask: dL/d(q k^T) = dL/dS * scale, and dL/dmask = dL/dS
        with_mask_grad = self.needs_input_grad[3]
        grad_scores = _softmax_grad_in_place(grad_probs, probs, 1 if with_mask_grad else self.scale)
        grad_mask = None
        if with_mask_grad:
            grad_mask = unbroadcast(grad_scores.copy(), self.mask_shape)
            grad_scores *= self.scale
        grad_q = unbroadcast(np.matmul(grad_scores, self.k), self.q.shape) if self.needs_input_grad[0] else None
        grad_k = None
        if self.needs_input_grad[1]:  # dL/dK = dS^T Q
            grad_k = unbroadcast(np.matmul(np.swapaxes(grad_scores, -1, -2), self.q), self.k.shape)
        return grad_q, grad_k, grad_v, grad_mask


def additive_mask(where: str, mask: Tensor | ArrayLike, dtype: np.dtype) -> Tensor | np.ndarray:
    """A boolean (True = may attend) or float mask as a float array to add to the scores; a
    float tensor of the queries' dtype stays a tensor (it may require grad)."""
    if isinstance(mask, Tensor) and mask.dtype.kind == "f":
        if mask.dtype != dtype:
            raise TypeError(
                f"{where}: expected a bool attn_mask or a float one of the query's dtype {dtype}, got {mask.dtype}"
            )
        return mask
    mask = np.asarray(mask)
    if mask.dtype == np.bool_:
        return np.where(mask, 0, -np.inf).astype(dtype)
    if mask.dtype.kind != "f":
        raise TypeError(f"{where}: expected a bool or floating attn_mask, got {mask.dtype}")
    return mask.astype(dtype, copy=False)


def causal_mask(length: int, source_length: int, dtype: _dtype, past: int = 0) -> np.ndarray:
    """0 on and below the diagonal, -inf above: query i may attend to keys 0..past + i (past:
    how many keys come before the first query, as when earlier keys are cached)."""
    return np.triu(np.full((length, source_length), -np.inf, dtype), past + 1)


def _check_inputs(where, query, key, value):
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2 or t.dtype.kind != "f" or t.dtype != query.dtype:
            raise ValueError(
                f"{where}: expected query, key and value of one floating dtype with at least "
                f"2 dims, got {name} {t.dtype} of shape {tuple(t.shape)}"
            )
    if key.shape[-1] != query.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"{where}: expected query (..., L, E), key (..., S, E) and value (..., S, Ev), got "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    try:
        return np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{where}: the batch dims of query {tuple(query.shape)}, key {tuple(key.shape)} and "
            f"value {tuple(value.shape)} do not broadcast"
        ) from None


def attention(
    where: str,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | np.ndarray | None = None,
    dropout_p: float = 0.0,
    scale: float | None = None,
    need_weights: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """The fused op on an additive float mask (an array, a tensor or None): the output, or
    (output, probabilities) when need_weights. Errors name `where`."""
    batch = _check_inputs(where, query, key, value)
    scores_shape = batch + (query.shape[-2], key.shape[-2])
    if mask is not None:
        try:
            if np.broadcast_shapes(mask.shape, scores_shape) != scores_shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"{where}: attn_mask of shape {tuple(mask.shape)} does not broadcast to the "
                f"attention scores' shape {scores_shape}"
            ) from None
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"{where}: dropout_p must be a probability in [0, 1], got {dropout_p}")
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    return ScaledDotProductAttentionFunction.apply(
        query, key, value, mask, scale=scale, dropout_p=float(dropout_p), return_weights=bool(need_weights)
    )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(query key^T * scale + mask) value for query (..., L, E), key (..., S, E) and
    value (..., S, Ev): (..., L, Ev). attn_mask broadcasts to (..., L, S): bool (True = may
    attend) or float (added to the scores). is_causal lets query i attend to keys 0..i only.
    scale defaults to 1 / sqrt(E). dropout_p drops attention probabilities (always: pass 0
    outside training, as in PyTorch). A query that may attend to nothing gets zeros."""
    where = "scaled_dot_product_attention"
    if is_causal and attn_mask is not None:
        raise ValueError(f"{where}: pass either attn_mask or is_causal=True, not both")
    mask = None
    if attn_mask is not None:
        mask = additive_mask(where, attn_mask, query.dtype)
    elif is_causal:
        mask = causal_mask(query.shape[-2], key.shape[-2], query.dtype)
    return attention(where, query, key, value, mask, dropout_p, scale)
