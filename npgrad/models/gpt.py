"""GPT: the decoder-only Transformer language model (Radford et al. 2018, 2019), laid out as
nanoGPT lays it out, so that its configuration, parameter names and initialisation carry over:

    transformer.wte  token embedding (vocab_size, n_embd), tied to lm_head.weight
    transformer.wpe  learned position embedding (block_size, n_embd)
    transformer.h.<i>  blocks: x + attn(ln_1(x)), then x + mlp(ln_2(x))  (pre-norm)
        attn.c_attn (3 n_embd, n_embd: q, k, v), attn.c_proj; mlp.c_fc (4 n_embd), mlp.c_proj
    transformer.ln_f, lm_head (n_embd -> vocab_size, no bias)

    model = GPT(GPTConfig(n_layer=4, n_head=4, n_embd=128, block_size=64, vocab_size=65))
    logits, loss = model(idx, targets)          # idx, targets: (B, T) int64
    model.generate(idx, 100, temperature=0.8, top_k=10)

gpt2_small() is GPT-2's 124M model; from_huggingface_gpt2 loads weights saved by Hugging Face
transformers' GPT2LMHeadModel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..functional.activation import gelu
from ..functional.attention import attention, causal_mask
from ..functional.loss import cross_entropy
from ..nn import init
from ..nn.module import eval_mode
from ..tensor import Tensor
from ..text import decoding
from ..types import ArrayLike, _generator

KVCache = dict[
    str, np.ndarray
]  # one block's keys and values of the positions seen: "k", "v" (B, heads, past, head_dim)


@dataclass
class GPTConfig:
    """nanoGPT's configuration. bias: biases in the Linears and LayerNorms; tie_weights: one
    matrix for the token embedding and the output layer; gelu_approximate: 'none' (nanoGPT's
    exact GELU) or 'tanh' (GPT-2's own, for its published weights)."""

    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True
    tie_weights: bool = True
    gelu_approximate: str = "none"

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(
                f"GPTConfig: n_embd must be a multiple of n_head, got n_embd={self.n_embd} and n_head={self.n_head}"
            )


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions 0..t only."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        """x (B, T, C). cache: None, or a dict holding this layer's keys and values of the
        positions before x ('k', 'v': (B, heads, past, head_dim)); they are used and extended."""
        batch, length, channels = x.shape
        heads = self.c_attn(x).reshape(batch, length, 3, self.n_head, channels // self.n_head).permute(2, 0, 3, 1, 4)
        q, k, v = heads.unbind(0)  # (B, heads, T, head_dim) each
        past = 0
        if cache is not None:
            if "k" in cache:
                past = cache["k"].shape[2]
                k, v = (
                    Tensor(np.concatenate([cache[name], t.detach().numpy()], axis=2))
                    for name, t in (("k", k), ("v", v))
                )
            cache["k"], cache["v"] = k.detach().numpy(), v.detach().numpy()
        mask = causal_mask(length, past + length, x.dtype, past)
        y = attention("CausalSelfAttention", q, k, v, mask, self.dropout if self.training else 0.0)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(batch, length, channels)))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)
        self.approximate = config.gelu_approximate

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(gelu(self.c_fc(x), approximate=self.approximate)))


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """The language model: forward(idx, targets=None) -> (logits (B, T, vocab_size), loss),
    loss the mean cross-entropy of the targets (None without targets; target -1 is ignored).
    Unlike nanoGPT, the logits of every position are returned, with or without targets.

    Initialised as nanoGPT (and GPT-2): every Linear and Embedding weight from N(0, 0.02^2),
    biases 0, the residual projections (c_proj) from N(0, (0.02 / sqrt(2 n_layer))^2)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.transformer.wte.weight
        self._init_weights()

    def _init_weights(self):
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                init.normal_(module.weight, 0.0, 0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                init.zeros_(module.bias)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                init.normal_(p, 0.0, 0.02 / math.sqrt(2 * self.config.n_layer))

    def num_parameters(self, non_embedding: bool = False) -> int:
        """The parameter count (a tied matrix counted once); non_embedding leaves out the
        position embedding, as nanoGPT reports."""
        total = sum(p.numel() for p in self.parameters())
        return total - self.transformer.wpe.weight.numel() if non_embedding else total

    def forward(
        self, idx: Tensor, targets: Tensor | None = None, caches: list[KVCache] | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """idx (B, T) int64 with T <= block_size. caches: None, or one dict per block holding the
        keys and values of the positions before idx (see generate); idx then continues them."""
        past = caches[0]["k"].shape[2] if caches and "k" in caches[0] else 0
        if idx.ndim != 2 or past + idx.shape[1] > self.config.block_size:
            raise ValueError(
                f"GPT: expected token ids (B, T) with T <= block_size = {self.config.block_size}, got "
                f"shape {tuple(idx.shape)}" + (f" after {past} cached positions" if past else "")
            )
        positions = Tensor(np.arange(past, past + idx.shape[1]))
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(positions))
        for i, block in enumerate(self.transformer.h):
            x = block(x, None if caches is None else caches[i])
        logits = self.lm_head(self.transformer.ln_f(x))
        if targets is None:
            return logits, None
        return logits, cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)

    def generate(
        self,
        idx: Tensor | ArrayLike,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: _generator | None = None,
        use_cache: bool = True,
    ) -> Tensor:
        """idx (B, T0) continued by max_new_tokens tokens sampled from softmax(logits /
        temperature) over the top_k most likely (see npgrad.text.sample_logits; generator: a
        numpy Generator or int seed). Returns a (B, T0 + max_new_tokens) int64 tensor. Runs in
        eval mode. With use_cache, each step feeds only the new token and reuses the earlier
        positions' keys and values; once the text outgrows block_size the window slides and every
        step recomputes it, as without the cache: both give the same tokens."""
        block_size = self.config.block_size
        caches: list[KVCache] = [{} for _ in self.transformer.h]

        def next_logits(ids: np.ndarray) -> Tensor:
            seen = caches[0]["k"].shape[2] if "k" in caches[0] else 0
            if not use_cache or ids.shape[1] > block_size:
                return self(Tensor(ids[:, -block_size:]))[0][:, -1]
            return self(Tensor(ids[:, seen:]), caches=caches)[0][:, -1]

        with eval_mode(self), no_grad():
            out = decoding.generate(next_logits, np.asarray(idx), max_new_tokens, temperature, top_k, None, generator)
        return Tensor(out)


def gpt2_small(vocab_size: int = 50257, block_size: int = 1024, dropout: float = 0.0) -> GPT:
    """GPT-2 small (124M): 12 layers, 12 heads, 768 features, 1024 positions, GPT-2's 50,257
    tokens, tanh GELU; 124,439,808 parameters with the tied output layer."""
    return GPT(
        GPTConfig(
            n_layer=12,
            n_head=12,
            n_embd=768,
            block_size=block_size,
            vocab_size=vocab_size,
            dropout=dropout,
            bias=True,
            gelu_approximate="tanh",
        )
    )


_CONV1D = re.compile(r"\.(c_attn|c_proj|c_fc)\.weight$")  # GPT-2's Conv1D: weight (in, out)


def from_huggingface_gpt2(state_dict: Mapping[str, Any], n_head: int, dropout: float = 0.0) -> GPT:
    """A GPT holding the weights of Hugging Face transformers' GPT2LMHeadModel, from its
    state_dict (values: NumPy arrays or CPU torch tensors, e.g. safetensors.numpy.load_file
    on its model.safetensors). The names are the same as here (transformer.h.<i>.attn.c_attn
    ...) except that GPT-2's Conv1D layers store weight as (in, out): those are transposed to
    Linear's (out, in). Its causal-mask buffers (attn.bias, attn.masked_bias) are dropped.
    The sizes come from the arrays; n_head cannot, so pass it (config.n_head: 12 for GPT-2 small).
    GELU is GPT-2's tanh approximation and layer norm eps 1e-5, as GPT-2's config has them."""
    arrays = {}
    for name, value in state_dict.items():
        if re.search(r"\.attn\.(bias|masked_bias)$", name):
            continue
        array = np.asarray(value.detach().numpy() if hasattr(value, "detach") else value, dtype=np.float32)
        arrays[name] = np.ascontiguousarray(array.T) if _CONV1D.search(name) else array
    vocab_size, n_embd = arrays["transformer.wte.weight"].shape
    n_layer = len({name.split(".")[2] for name in arrays if name.startswith("transformer.h.")})
    config = GPTConfig(
        block_size=arrays["transformer.wpe.weight"].shape[0],
        vocab_size=vocab_size,
        n_layer=n_layer,
        n_head=n_head,
        n_embd=n_embd,
        dropout=dropout,
        bias="transformer.ln_f.bias" in arrays,
        gelu_approximate="tanh",
    )
    arrays.setdefault("lm_head.weight", arrays["transformer.wte.weight"])
    model = GPT(config)
    model.load_state_dict(arrays)
    return model
