"""Sequence-to-sequence translation with recurrent networks: Encoder, Decoder, attention, Seq2Seq.

The encoder reads the source sentence, one embedded word at a time, with a GRU; the decoder
is a second GRU that writes the translation one word at a time, each step fed the word before
it (the true one while training, "teacher forcing"; its own guess when translating).

The bottleneck. Without attention (Sutskever et al., 2014; Cho et al., 2014) the decoder's only
link to the source is the encoder's final hidden state: it starts from that one vector of
hidden_size numbers, which must hold the whole sentence, short or long. Whatever the encoder
did not squeeze into it is lost, and long sentences lose the most.

Attention removes the bottleneck (Bahdanau et al., 2015). The decoder keeps all the encoder
outputs k_1 .. k_S, one per source word. Before each step it compares its state q with every
k_s (a score e_s), turns the scores into weights that sum to 1 (a softmax; the padding after a
short sentence is masked out, so it gets weight 0), and reads their weighted mean, the
context c = sum_s a_s k_s, as part of its input. Every step can look at any source word
directly, and the weights a_s, drawn as a heat map, show where the model looked.

Shapes are batch first: src (B, S) and tgt (B, T) token ids, int64, padded with pad_id;
src_lengths (B,) the true lengths of the sources.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..functional.shape import cat, stack
from ..nn import Module
from ..nn.module import eval_mode
from ..nn import functional as F
from ..tensor import Tensor
from ..text.batching import pad_batch
from ..text.decoding import beam_search, greedy_search, reorder_state
from ..types import ArrayLike


def padding_mask(lengths: ArrayLike, steps: int) -> np.ndarray:
    """(B, steps) bool, True past each sequence's length: the positions attention must ignore."""
    return np.arange(steps) >= np.asarray(lengths)[:, None]


# ------------------------------------------------------------------ attention
class Attention(Module):
    """What the attention layers share. A query q (B, query_size) attends over keys
    (B, S, key_size): forward returns the context (B, key_size) and the weights (B, S).

    Subclasses set key_proj, the part of the score that needs only the keys (computed once
    per source sentence by project_keys, not at every decoder step), and define score(query,
    projected_keys) -> (B, S). key_padding_mask (B, S) is True where a key is padding, as in
    PyTorch's nn.MultiheadAttention.
    """

    key_proj: Module
    score: Callable[[Tensor, Tensor], Tensor]  # (query, projected keys) -> scores e_s

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        self.query_size, self.key_size = query_size, key_size

    def project_keys(self, keys: Tensor) -> Tensor:
        return self.key_proj(keys)

    def forward(
        self,
        query: Tensor,
        keys: Tensor,
        key_padding_mask: np.ndarray | Tensor | None = None,
        projected_keys: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """projected_keys: project_keys(keys), if already computed (the decoder passes it at every step)."""
        self._check(query, keys, key_padding_mask)
        if projected_keys is None:
            projected_keys = self.project_keys(keys)
        scores = self.score(query, projected_keys)  # e_s, (B, S)
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask, float("-inf"))  # exp(-inf) = 0: no weight on padding
        weights = F.softmax(scores, dim=-1)  # a_s = exp(e_s) / sum_s' exp(e_s')
        context = (weights.unsqueeze(1) @ keys).squeeze(1)  # c = sum_s a_s k_s
        return context, weights

    def _check(self, query, keys, key_padding_mask):
        name = type(self).__name__
        if query.ndim != 2 or query.shape[1] != self.query_size:
            raise ValueError(f"{name}: expected a query (batch, {self.query_size}), got shape {tuple(query.shape)}")
        if keys.ndim != 3 or keys.shape[0] != query.shape[0] or keys.shape[2] != self.key_size:
            raise ValueError(
                f"{name}: expected keys ({query.shape[0]}, src_len, {self.key_size}) for a query "
                f"of batch {query.shape[0]}, got shape {tuple(keys.shape)}"
            )
        if key_padding_mask is not None:
            mask = np.asarray(key_padding_mask)
            if mask.dtype != np.bool_ or mask.shape != tuple(keys.shape[:2]):
                raise ValueError(
                    f"{name}: expected a bool key_padding_mask {tuple(keys.shape[:2])} (True at "
                    f"padding), got {mask.dtype} {mask.shape}"
                )

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}"


class BahdanauAttention(Attention):
    """Additive attention (Bahdanau et al., 2015): e_s = v^T tanh(W_q q + W_k k_s), a one-hidden-
    layer network of the query and each key. hidden_size (default query_size) is the size of
    that layer; W_q, W_k and v are Linear layers without bias (query_proj, key_proj, v)."""

    def __init__(self, query_size: int, key_size: int, hidden_size: int | None = None) -> None:
        super().__init__(query_size, key_size)
        hidden_size = hidden_size or query_size
        self.query_proj = nn.Linear(query_size, hidden_size, bias=False)  # W_q
        self.key_proj = nn.Linear(key_size, hidden_size, bias=False)  # W_k
        self.v = nn.Linear(hidden_size, 1, bias=False)

    def score(self, query: Tensor, projected_keys: Tensor) -> Tensor:
        hidden = (self.query_proj(query).unsqueeze(1) + projected_keys).tanh()  # tanh(W_q q + W_k k_s), (B, S, A)
        return self.v(hidden).squeeze(-1)  # v^T ...


class LuongAttention(Attention):
    """Multiplicative attention (Luong et al., 2015). method "dot": e_s = q . k_s (query_size
    must equal key_size); "general": e_s = q^T W k_s, W (query_size, key_size) the weight of
    key_proj, a Linear layer without bias. (Luong's decoder queries with its new state and feeds
    the context to its output layer; the Decoder here queries every score with its previous
    state, as Bahdanau's does, so that only the score differs.)"""

    methods = ("dot", "general")

    def __init__(self, query_size: int, key_size: int, method: str = "general") -> None:
        super().__init__(query_size, key_size)
        if method not in self.methods:
            raise ValueError(f"LuongAttention: method must be one of {self.methods}, got {method!r}")
        if method == "dot" and query_size != key_size:
            raise ValueError(
                f"LuongAttention: the dot score needs query_size == key_size, got {query_size} "
                f"and {key_size}; use method='general'"
            )
        self.method = method
        self.key_proj = nn.Linear(key_size, query_size, bias=False) if method == "general" else nn.Identity()

    def score(self, query: Tensor, projected_keys: Tensor) -> Tensor:
        return (projected_keys @ query.unsqueeze(-1)).squeeze(-1)  # e_s = (W k_s) . q

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, method={self.method!r}"


def make_attention(kind: str | None, query_size: int, key_size: int) -> Attention | None:
    """The attention layer named kind: None, "bahdanau", "dot" or "general"."""
    if kind is None:
        return None
    if kind == "bahdanau":
        return BahdanauAttention(query_size, key_size)
    if kind in LuongAttention.methods:
        return LuongAttention(query_size, key_size, kind)
    raise ValueError(f"attention must be None, 'bahdanau', 'dot' or 'general', got {kind!r}")


# ------------------------------------------------------------------ encoder and decoder
class Encoder(Module):
    """Embedding + GRU over the source. forward(src, src_lengths) returns the outputs
    (B, S, output_size), one per source word and 0 at padding, and the decoder's initial state
    (B, hidden_size). Bidirectional, the outputs join both directions (output_size = 2 *
    hidden_size) and the state is tanh(W [h_forward; h_backward] + b), W the `bridge` Linear."""

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        bidirectional: bool = False,
        dropout: float = 0.0,
        padding_idx: int | None = None,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.dropout = nn.Dropout(dropout)
        self.gru = nn.GRU(embedding_dim, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.output_size = hidden_size * (2 if bidirectional else 1)
        if bidirectional:
            self.bridge = nn.Linear(2 * hidden_size, hidden_size)

    def forward(self, src: Tensor | np.ndarray, src_lengths: ArrayLike) -> tuple[Tensor, Tensor]:
        outputs, h_n = self.gru(self.dropout(self.embedding(src)), lengths=src_lengths)  # h_n (directions, B, H)
        if not self.gru.bidirectional:
            return outputs, h_n[0]
        return outputs, self.bridge(cat([h_n[0], h_n[1]], dim=-1)).tanh()


class Decoder(Module):
    """A GRU that writes the target one token at a time: s_t = GRU(x_t, s_{t-1}),
    logits_t = out(s_t), x_t the embedded previous token y_{t-1}.

    attention=None: the plain decoder; s_0 (the encoder's state) is all it knows of the source.
    With an Attention layer, the query is the previous state and the context joins the input:
    c_t = attention(s_{t-1}, encoder outputs), x_t = [embedding(y_{t-1}); c_t].
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        attention: Attention | None = None,
        dropout: float = 0.0,
        padding_idx: int | None = None,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.dropout = nn.Dropout(dropout)
        self.attention = attention
        context_size = 0 if attention is None else attention.key_size
        self.gru = nn.GRUCell(embedding_dim + context_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def memory(self, encoder_outputs: Tensor, key_padding_mask: np.ndarray | None) -> dict[str, Any] | None:
        """What every step attends over, as a dict (None without attention): the keys (the
        encoder outputs), their projection, computed once, and the padding mask."""
        if self.attention is None:
            return None
        return {
            "keys": encoder_outputs,
            "projected_keys": self.attention.project_keys(encoder_outputs),
            "key_padding_mask": key_padding_mask,
        }

    def forward(
        self, tgt_in: Tensor | np.ndarray, hidden: Tensor, memory: dict[str, Any] | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """Teacher forcing: tgt_in (B, T), <bos> and the target but its last token; hidden (B, H)
        the initial state. Returns the logits (B, T, vocab_size) and the attention weights
        (B, T, S), None without attention."""
        embedded = self.dropout(self.embedding(tgt_in))
        states, weights = [], []
        for t in range(tgt_in.shape[1]):
            hidden, step_weights = self._advance(embedded[:, t], hidden, memory)
            states.append(hidden)
            weights.append(step_weights)
        logits = self.out(stack(states, dim=1))  # all the steps in one product
        return logits, None if memory is None else stack(weights, dim=1)

    def step(
        self, previous: Tensor | np.ndarray, hidden: Tensor, memory: dict[str, Any] | None = None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """One step of decoding: previous (B,) token ids. Returns the log-probabilities of the
        next token (B, vocab_size), the new state (B, H) and the attention weights (B, S) or None."""
        hidden, weights = self._advance(self.dropout(self.embedding(previous)), hidden, memory)
        return F.log_softmax(self.out(hidden), dim=-1), hidden, weights

    def _advance(self, embedded, hidden, memory):
        """s_t from x_t's embedding (B, E) and s_{t-1} (B, H); and the attention weights."""
        if memory is None:
            return self.gru(embedded, hidden), None
        context, weights = self.attention(hidden, memory["keys"], memory["key_padding_mask"], memory["projected_keys"])
        return self.gru(cat([embedded, context], dim=-1), hidden), weights  # x_t = [y_{t-1}; c_t]


# ------------------------------------------------------------------ the whole model
class Translation(NamedTuple):
    """A decoded sentence: tokens (int64, ending in <eos> unless max_len cut it) and attention
    (len(tokens), source length) float32, row i the weights on the source words while writing
    tokens[i]; None for a model without attention."""

    tokens: np.ndarray
    attention: np.ndarray | None


def _token_ids(name: str, what: str, ids: Tensor | ArrayLike, ndim: int) -> np.ndarray:
    """ids (an array or Tensor) as an int64 array, or a ValueError naming `what`."""
    ids = np.asarray(ids._data if isinstance(ids, Tensor) else ids)
    if ids.ndim != ndim or ids.dtype.kind not in "iu":
        shape = "(batch, length)" if ndim == 2 else "(batch,)"
        raise ValueError(f"{name}: expected {what} as integers {shape}, got {ids.dtype} {ids.shape}")
    return ids.astype(np.int64, copy=False)


class Seq2Seq(Module):
    """Encoder + Decoder. attention: None (the plain encoder-decoder and its bottleneck),
    "bahdanau" (additive), "dot" or "general" (Luong's scores); the query is the decoder's state,
    the keys the encoder outputs. pad_id, bos_id, eos_id: the special ids (Vocab's defaults).

        model = Seq2Seq(len(fr_vocab), len(en_vocab), attention="bahdanau")
        logits = model(src, src_lengths, tgt_in)       # (B, T, tgt_vocab_size): train on tgt_out
        model.translate(src, src_lengths, beam_size=5) # a Translation per sentence
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embedding_dim: int = 256,
        hidden_size: int = 256,
        attention: str | None = "bahdanau",
        bidirectional: bool = False,
        dropout: float = 0.0,
        pad_id: int = 0,
        bos_id: int = 1,
        eos_id: int = 2,
    ) -> None:
        super().__init__()
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        self.encoder = Encoder(src_vocab_size, embedding_dim, hidden_size, bidirectional, dropout, pad_id)
        attention_layer = make_attention(attention, hidden_size, self.encoder.output_size)
        self.decoder = Decoder(tgt_vocab_size, embedding_dim, hidden_size, attention_layer, dropout, pad_id)

    def forward(self, src: Tensor | ArrayLike, src_lengths: Tensor | ArrayLike, tgt_in: Tensor | ArrayLike) -> Tensor:
        """src (B, S), src_lengths (B,), tgt_in (B, T) -> logits (B, T, tgt_vocab_size)."""
        return self.teacher_forced(src, src_lengths, tgt_in)[0]

    def teacher_forced(
        self, src: Tensor | ArrayLike, src_lengths: Tensor | ArrayLike, tgt_in: Tensor | ArrayLike
    ) -> tuple[Tensor, Tensor | None]:
        """(logits (B, T, tgt_vocab_size), attention weights (B, T, S) or None)."""
        src, src_lengths = self._checked_source(src, src_lengths)
        tgt_in = _token_ids("Seq2Seq", "tgt_in", tgt_in, 2)
        if len(tgt_in) != len(src):
            raise ValueError(f"Seq2Seq: src has {len(src)} sentences but tgt_in has {len(tgt_in)}")
        return self.decoder(tgt_in, *self.encode(src, src_lengths))

    def encode(self, src: Tensor | np.ndarray, src_lengths: ArrayLike) -> tuple[Tensor, dict[str, Any] | None]:
        """The decoder's initial state (B, H) and its memory (see Decoder.memory)."""
        outputs, hidden = self.encoder(src, src_lengths)
        return hidden, self.decoder.memory(outputs, padding_mask(src_lengths, outputs.shape[1]))

    def translate(
        self,
        src: Tensor | ArrayLike,
        src_lengths: Tensor | ArrayLike | None = None,
        max_len: int = 30,
        beam_size: int | None = None,
    ) -> list[Translation]:
        """A Translation for each source sentence of src (B, S) (src_lengths None: all S long),
        decoded greedily (beam_size None, the whole batch at once) or by beam search (one
        sentence at a time, the best of beam_size beams). Runs in eval mode, without gradients;
        the attention weights come from feeding the chosen tokens back in (teacher forcing),
        which repeats exactly the steps that chose them."""
        src = _token_ids("Seq2Seq.translate", "src", src, 2)
        src, src_lengths = self._checked_source(
            src, np.full(len(src), src.shape[1]) if src_lengths is None else src_lengths
        )
        with eval_mode(self), no_grad():
            hidden, memory = self.encode(src, src_lengths)
            rows = (
                greedy_search(self._step_function(memory), hidden, self.bos_id, self.eos_id, max_len, len(src))
                if beam_size is None
                else self._beam(src, src_lengths, max_len, beam_size)
            )
            maps = self._attention_maps(hidden, memory, src_lengths, rows)
        return [Translation(row, weights) for row, weights in zip(rows, maps)]

    def _beam(self, src, src_lengths, max_len, beam_size):
        rows = []
        for sentence, length in zip(src, src_lengths):
            hidden, memory = self.encode(sentence[None, :length], length[None])
            hypotheses = beam_search(
                self._step_function(memory, one_sentence=True), hidden, self.bos_id, self.eos_id, beam_size, max_len
            )
            rows.append(hypotheses[0].tokens)
        return rows

    def _step_function(self, memory, one_sentence=False):
        """The step_fn of npgrad.text's searches: (previous ids (k,), state (k, H)) -> (log-probs, state).
        one_sentence: memory holds one sentence, read by all k beams."""

        def step(previous, hidden):
            rows = reorder_state(memory, np.zeros(len(previous), np.int64)) if one_sentence else memory
            return self.decoder.step(previous, hidden, rows)[:2]

        return step

    def _attention_maps(self, hidden, memory, src_lengths, rows):
        """The attention weights (len(row), source length) of each decoded row, or Nones, from
        the batch's encoding (hidden, memory)."""
        if self.decoder.attention is None:
            return [None] * len(rows)
        tgt_in, _ = pad_batch([np.concatenate([[self.bos_id], row[:-1]]) for row in rows], self.pad_id)
        weights = self.decoder(tgt_in, hidden, memory)[1].numpy()
        return [weights[i, : len(row), :length] for i, (row, length) in enumerate(zip(rows, src_lengths))]

    def _checked_source(
        self, src: Tensor | ArrayLike, src_lengths: Tensor | ArrayLike
    ) -> tuple[np.ndarray, np.ndarray]:
        src = _token_ids("Seq2Seq", "src", src, 2)
        src_lengths = _token_ids("Seq2Seq", "src_lengths", src_lengths, 1)
        if len(src_lengths) != len(src):
            raise ValueError(f"Seq2Seq: src has {len(src)} sentences but src_lengths has {len(src_lengths)} lengths")
        if len(src) and (src_lengths.min() < 1 or src_lengths.max() > src.shape[1]):
            raise ValueError(
                f"Seq2Seq: src_lengths must be between 1 and the padded length {src.shape[1]}, got "
                f"{src_lengths.min()}..{src_lengths.max()}"
            )
        return src, src_lengths
