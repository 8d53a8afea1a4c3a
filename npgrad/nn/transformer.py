"""The Transformer, as torch.nn: TransformerEncoderLayer, TransformerDecoderLayer,
TransformerEncoder, TransformerDecoder and Transformer, with PyTorch's names, arguments,
defaults and state_dict layouts; and two positional encodings PyTorch leaves to the user,
SinusoidalPositionalEncoding (fixed) and LearnedPositionalEmbedding (trained).

A layer is attention then a position-wise feed-forward network (linear1, activation, dropout,
linear2), each inside a residual connection with layer norm: after the sum (post-norm, the
original Transformer's and PyTorch's default) or before the sublayer (norm_first=True, as GPT).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np

from .. import dtypes
from ..functional.activation import gelu, relu
from ..tensor import Tensor
from ..types import _dtype
from . import init
from .attention import MultiheadAttention
from .containers import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm
from .parameter import Parameter

_ACTIVATIONS = {"relu": relu, "gelu": gelu}


def _activation(name: str, activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    if callable(activation):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{name}: activation should be relu/gelu or a callable, got {activation!r}")
    return _ACTIVATIONS[activation]


class _FeedForwardLayer(Module):
    """What the encoder and decoder layers share: the feed-forward block and the residual wiring."""

    def _feed_forward_parts(
        self, d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, norms, dtype
    ):
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        for i in range(1, norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for i in range(1, norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(type(self).__name__, activation)

    def _ff_block(self, x):
        return self.linear2(self.dropout(self.activation(self.linear1(x))))

    def _residual(self, x, norm, sublayer, dropout):
        """x + sublayer(norm(x)) with norm_first, norm(x + sublayer(x)) otherwise."""
        if self.norm_first:
            return x + dropout(sublayer(norm(x)))
        return norm(x + dropout(sublayer(x)))


class TransformerEncoderLayer(_FeedForwardLayer):
    """Self-attention (self_attn) and the feed-forward block, each with its residual and norm
    (norm1, norm2). Input (S, N, E), or (N, S, E) with batch_first, or unbatched (S, E)."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self._feed_forward_parts(
            d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, 2, dtype
        )

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        def self_attention(x):
            return self.self_attn(
                x,
                x,
                x,
                attn_mask=src_mask,
                key_padding_mask=src_key_padding_mask,
                need_weights=False,
                is_causal=is_causal,
            )[0]

        x = self._residual(src, self.norm1, self_attention, self.dropout1)
        return self._residual(x, self.norm2, self._ff_block, self.dropout2)


class TransformerDecoderLayer(_FeedForwardLayer):
    """Masked self-attention (self_attn), attention to the encoder's output (multihead_attn)
    and the feed-forward block, each with its residual and norm (norm1, norm2, norm3)."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self._feed_forward_parts(
            d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, 3, dtype
        )

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        def self_attention(x):
            return self.self_attn(
                x,
                x,
                x,
                attn_mask=tgt_mask,
                key_padding_mask=tgt_key_padding_mask,
                need_weights=False,
                is_causal=tgt_is_causal,
            )[0]

        def cross_attention(x):
            return self.multihead_attn(
                x,
                memory,
                memory,
                attn_mask=memory_mask,
                key_padding_mask=memory_key_padding_mask,
                need_weights=False,
                is_causal=memory_is_causal,
            )[0]

        x = self._residual(tgt, self.norm1, self_attention, self.dropout1)
        x = self._residual(x, self.norm2, cross_attention, self.dropout2)
        return self._residual(x, self.norm3, self._ff_block, self.dropout3)


def _clones(layer: Module, num_layers: int) -> ModuleList:
    """num_layers deep copies of layer (as PyTorch: they start with the same weights)."""
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """num_layers copies of encoder_layer (layers.0, layers.1, ...), then `norm` if given.
    enable_nested_tensor and mask_check are accepted for compatibility; padded positions keep
    their computed values (PyTorch's nested-tensor fast path sets them to 0 in evaluation)."""

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """num_layers copies of decoder_layer (layers.0, layers.1, ...), then `norm` if given."""

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(
                x,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    """The encoder-decoder Transformer (Vaswani et al. 2017): `encoder` and `decoder` stacks,
    each ending in a LayerNorm; every matrix initialised with xavier_uniform_, as PyTorch.
    forward(src, tgt, ...) -> (T, N, E) (or (N, T, E) with batch_first); embedding the tokens
    and adding positions is left to the model around it."""

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        options = dict(
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            layer_norm_eps=layer_norm_eps,
            batch_first=batch_first,
            norm_first=norm_first,
            bias=bias,
            dtype=dtype,
        )
        self.encoder = custom_encoder or TransformerEncoder(
            TransformerEncoderLayer(d_model, nhead, **options),
            num_encoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype),
        )
        self.decoder = custom_decoder or TransformerDecoder(
            TransformerDecoderLayer(d_model, nhead, **options),
            num_decoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype),
        )
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        batch_dim = 0 if self.batch_first else 1
        if (
            src.ndim != tgt.ndim
            or (src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim])
            or src.shape[-1] != self.d_model
            or tgt.shape[-1] != self.d_model
        ):
            raise ValueError(
                f"Transformer: expected src and tgt with one batch size and d_model = {self.d_model} "
                f"features, got shapes {tuple(src.shape)} and {tuple(tgt.shape)}"
            )
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, dtype: _dtype | None = None) -> Tensor:
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above (position i sees 0..i)."""
        dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        return Tensor(np.triu(np.full((sz, sz), -np.inf, dtype), 1))


class _PositionalTable(Module):
    """Adds row offset + i of a (max_len, d_model) table to position i of the input."""

    def _check(self, x, offset):
        length = x.shape[1 if self.batch_first else 0] if x.ndim == 3 else x.shape[0]
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model or offset + length > self.max_len:
            layout = "(N, L, d_model)" if self.batch_first else "(L, N, d_model)"
            raise ValueError(
                f"{type(self).__name__}: expected input {layout} or (L, d_model) with d_model = "
                f"{self.d_model} and offset + L <= max_len = {self.max_len}, got shape "
                f"{tuple(x.shape)} at offset {offset}"
            )
        return length

    def _add(self, x, table, offset):
        rows = table[offset : offset + self._check(x, offset)]
        if x.ndim == 3 and not self.batch_first:
            rows = rows.unsqueeze(1)  # (L, 1, d_model) against (L, N, d_model)
        return self.dropout(x + rows)


class SinusoidalPositionalEncoding(_PositionalTable):
    """The original Transformer's fixed encoding: PE[pos, 2i] = sin(pos / 10000^(2i/d_model)),
    PE[pos, 2i+1] = cos(same); forward(x, offset=0) = dropout(x + PE[offset:offset+L]).
    The table is a non-persistent buffer `pe` (max_len, d_model): nothing to save or load."""

    def __init__(
        self,
        d_model: int,
        max_len: int = 5000,
        dropout: float = 0.0,
        batch_first: bool = False,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.dropout = Dropout(dropout)
        dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        position = np.arange(max_len)[:, None]
        frequency = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        table = np.zeros((max_len, d_model))
        table[:, 0::2] = np.sin(position * frequency)
        table[:, 1::2] = np.cos(position * frequency[: d_model // 2])
        self.register_buffer("pe", Tensor(table.astype(dtype)), persistent=False)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        return self._add(x, self.pe, offset)

    def extra_repr(self) -> str:
        return f"{self.d_model}, max_len={self.max_len}"


class LearnedPositionalEmbedding(_PositionalTable):
    """A trained vector per position (as GPT's and BERT's position embeddings): `weight`
    (max_len, d_model) from N(0, 0.02^2); forward(x, offset=0) = dropout(x + weight[offset:offset+L])."""

    def __init__(
        self, max_len: int, d_model: int, dropout: float = 0.0, batch_first: bool = False, dtype: _dtype | None = None
    ) -> None:
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.dropout = Dropout(dropout)
        dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((max_len, d_model), dtype))
        init.normal_(self.weight, std=0.02)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        return self._add(x, self.weight, offset)

    def extra_repr(self) -> str:
        return f"{self.max_len}, {self.d_model}"
