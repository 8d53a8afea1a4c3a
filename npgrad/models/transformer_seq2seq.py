"""Sequence-to-sequence translation with the Transformer (Vaswani et al., 2017).

The same task as models.seq2seq's recurrent Seq2Seq, and the same interface, with attention
everywhere instead of recurrence: the encoder's self-attention lets every source word look at
every other one at once, the decoder's masked self-attention lets each target position look at
the positions before it (the causal mask), and its cross-attention reads the whole encoded
source at every step (the padding after a short sentence masked out). Token embeddings are
scaled by sqrt(d_model) and the original sinusoidal position encoding is added.

Shapes are batch first: src (B, S) and tgt (B, T) token ids, int64, padded with pad_id;
src_lengths (B,) the true lengths of the sources.
"""

from __future__ import annotations

import math

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..functional.activation import log_softmax
from ..nn.module import eval_mode
from ..tensor import Tensor
from ..text.batching import pad_batch
from ..text.decoding import beam_search, greedy_search, reorder_state
from ..types import ArrayLike
from .seq2seq import Translation, _token_ids, padding_mask


class TransformerSeq2Seq(nn.Module):
    """src_embedding and tgt_embedding (scaled by sqrt(d_model)), positions (sinusoidal),
    transformer (nn.Transformer, batch first), generator (Linear to the target vocabulary).

        model = TransformerSeq2Seq(len(fr_vocab), len(en_vocab))
        logits = model(src, src_lengths, tgt_in)        # (B, T, tgt_vocab_size): train on tgt_out
        model.translate(src, src_lengths, beam_size=5)  # a Translation per sentence
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        d_model: int = 256,
        nhead: int = 4,
        num_encoder_layers: int = 3,
        num_decoder_layers: int = 3,
        dim_feedforward: int = 512,
        dropout: float = 0.1,
        max_len: int = 256,
        norm_first: bool = False,
        pad_id: int = 0,
        bos_id: int = 1,
        eos_id: int = 2,
    ) -> None:
        super().__init__()
        self.pad_id, self.bos_id, self.eos_id, self.d_model = pad_id, bos_id, eos_id, d_model
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model, padding_idx=pad_id)
        self.positions = nn.SinusoidalPositionalEncoding(d_model, max_len, dropout, batch_first=True)
        self.transformer = nn.Transformer(
            d_model,
            nhead,
            num_encoder_layers,
            num_decoder_layers,
            dim_feedforward,
            dropout,
            batch_first=True,
            norm_first=norm_first,
        )
        self.generator = nn.Linear(d_model, tgt_vocab_size)

    def forward(self, src: Tensor | ArrayLike, src_lengths: Tensor | ArrayLike, tgt_in: Tensor | ArrayLike) -> Tensor:
        """src (B, S), src_lengths (B,), tgt_in (B, T) -> logits (B, T, tgt_vocab_size)."""
        src, src_lengths = self._checked_source(src, src_lengths)
        tgt_in = _token_ids("TransformerSeq2Seq", "tgt_in", tgt_in, 2)
        if len(tgt_in) != len(src):
            raise ValueError(f"TransformerSeq2Seq: src has {len(src)} sentences but tgt_in has {len(tgt_in)}")
        return self.decode(tgt_in, *self.encode(src, src_lengths))

    def _embed(self, embedding, ids):
        return self.positions(embedding(Tensor(ids)) * math.sqrt(self.d_model))

    def encode(self, src: np.ndarray, src_lengths: ArrayLike) -> tuple[Tensor, np.ndarray]:
        """(memory (B, S, d_model), its padding mask (B, S), True past each length)."""
        mask = padding_mask(src_lengths, src.shape[1])
        return self.transformer.encoder(self._embed(self.src_embedding, src), src_key_padding_mask=mask), mask

    def decode(self, tgt_in: np.ndarray, memory: Tensor, memory_mask: np.ndarray | None) -> Tensor:
        """Logits (B, T, tgt_vocab_size) of the next token at every position of tgt_in (B, T)."""
        causal = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
        hidden = self.transformer.decoder(
            self._embed(self.tgt_embedding, tgt_in),
            memory,
            tgt_mask=causal,
            memory_key_padding_mask=memory_mask,
            tgt_is_causal=True,
        )
        return self.generator(hidden)

    def translate(
        self,
        src: Tensor | ArrayLike,
        src_lengths: Tensor | ArrayLike | None = None,
        max_len: int = 30,
        beam_size: int | None = None,
    ) -> list[Translation]:
        """A Translation for each source sentence of src (B, S) (src_lengths None: all S long),
        decoded greedily (beam_size None, the whole batch at once) or by beam search (one
        sentence at a time, the best of beam_size beams). Each step reruns the decoder on the
        prefix so far (no cache). Runs in eval mode, without gradients. The attention maps are
        the last decoder layer's cross-attention weights, averaged over its heads."""
        src = _token_ids("TransformerSeq2Seq.translate", "src", src, 2)
        src, src_lengths = self._checked_source(
            src, np.full(len(src), src.shape[1]) if src_lengths is None else src_lengths
        )
        with eval_mode(self), no_grad():
            if beam_size is None:
                memory, mask = self.encode(src, src_lengths)
                rows = greedy_search(
                    self._step_function(memory, mask),
                    np.zeros((len(src), 0), np.int64),
                    self.bos_id,
                    self.eos_id,
                    max_len,
                    len(src),
                )
            else:
                rows = [
                    self._beam(sentence[None, :length], length, max_len, beam_size)
                    for sentence, length in zip(src, src_lengths)
                ]
            maps = self._attention_maps(src, src_lengths, rows)
        return [Translation(row, weights) for row, weights in zip(rows, maps)]

    def _beam(self, sentence, length, max_len, beam_size):
        memory, mask = self.encode(sentence, length[None])
        hypotheses = beam_search(
            self._step_function(memory, mask, one_sentence=True),
            np.zeros((1, 0), np.int64),
            self.bos_id,
            self.eos_id,
            beam_size,
            max_len,
        )
        return hypotheses[0].tokens

    def _step_function(self, memory, mask, one_sentence=False):
        """The step_fn of npgrad.text's searches: the state is what the decoder has read so far,
        <bos> and the tokens after it, (k, t); each step appends the previous token and rereads
        it all. one_sentence: memory holds one sentence, read by all k beams."""

        def step(previous, fed):
            fed = np.concatenate([fed, previous[:, None]], axis=1)
            keys = reorder_state((memory, mask), np.zeros(len(fed), np.int64)) if one_sentence else (memory, mask)
            return log_softmax(self.decode(fed, *keys)[:, -1], dim=-1), fed

        return step

    def _attention_maps(self, src, src_lengths, rows):
        """The last decoder layer's cross-attention (len(row), source length) for each decoded
        row, from feeding the chosen tokens back in."""
        tgt_in, _ = pad_batch([np.concatenate([[self.bos_id], row[:-1]]) for row in rows], self.pad_id)
        memory, mask = self.encode(src, src_lengths)
        cross = self.transformer.decoder.layers[-1].multihead_attn
        seen = []
        handle = cross.register_forward_pre_hook(lambda module, args: seen.append(args))
        try:
            self.decode(tgt_in, memory, mask)
        finally:
            handle.remove()
        query, key, value = seen[-1]
        weights = cross(query, key, value, key_padding_mask=mask, need_weights=True)[1].numpy()
        return [weights[i, : len(row), :length] for i, (row, length) in enumerate(zip(rows, src_lengths))]

    def _checked_source(
        self, src: Tensor | ArrayLike, src_lengths: Tensor | ArrayLike
    ) -> tuple[np.ndarray, np.ndarray]:
        src = _token_ids("TransformerSeq2Seq", "src", src, 2)
        src_lengths = _token_ids("TransformerSeq2Seq", "src_lengths", src_lengths, 1)
        if len(src_lengths) != len(src) or (len(src) and (src_lengths.min() < 1 or src_lengths.max() > src.shape[1])):
            raise ValueError(
                f"TransformerSeq2Seq: expected one length between 1 and {src.shape[1]} per sentence of "
                f"src {src.shape}, got src_lengths {src_lengths.tolist()}"
            )
        return src, src_lengths
