"""Recurrent models: a character-level language model and a sequence classifier.

Both are thin wrappers round nn.RNN / nn.LSTM / nn.GRU, chosen by `cell`:

    CharRNN(vocab_size=65)                                # Embedding -> LSTM -> Linear, per step
    SequenceClassifier(1, 6, 10, cell="gru", bidirectional=True, readout="all", seq_len=40)

Every tensor is batch first: (B, T) token ids, (B, T, features) signals.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from .. import nn
from ..nn.module import eval_mode
from ..tensor import Tensor
from ..text import decoding
from ..types import ArrayLike, _generator

RECURRENT_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
READOUTS = ("last", "all")
RecurrentState = Union[Tensor, tuple[Tensor, Tensor]]  # h_n, or an LSTM's (h_n, c_n)


def make_recurrent(cell: str, input_size: int, hidden_size: int, **options: Any) -> nn.RNN | nn.LSTM | nn.GRU:
    """nn.RNN (tanh), nn.LSTM or nn.GRU by name ('rnn', 'lstm', 'gru'), batch first."""
    if cell not in RECURRENT_LAYERS:
        raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(RECURRENT_LAYERS)}")
    return RECURRENT_LAYERS[cell](input_size, hidden_size, batch_first=True, **options)


def last_hidden(state: RecurrentState) -> Tensor:
    """h_n of a recurrent layer's final state: the state itself, or h of the LSTM's (h, c)."""
    return state[0] if isinstance(state, tuple) else state


class CharRNN(nn.Module):
    """A language model over characters (or any tokens): predicts every next token.

    ids (B, T) -> Embedding (B, T, embedding_dim) -> recurrent layers (B, T, hidden_size)
    -> Dropout -> Linear: logits (B, T, vocab_size), where logits[:, t] scores the token after
    ids[:, t]. Train it with cross-entropy on every position against the ids moved one on.

    cell: 'lstm', 'gru' or 'rnn' (tanh); num_layers stacked layers; dropout between the layers
    and on the last layer's outputs (0 turns it off). The defaults are a small char-rnn.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 64,
        hidden_size: int = 256,
        num_layers: int = 1,
        cell: str = "lstm",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        between_layers = dropout if num_layers > 1 else 0.0  # a single layer has nothing between
        self.rnn = make_recurrent(cell, embedding_dim, hidden_size, num_layers=num_layers, dropout=between_layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: Tensor, state: RecurrentState | None = None) -> tuple[Tensor, RecurrentState]:
        """ids (B, T) int -> (logits (B, T, vocab_size), state). `state` is where an earlier call
        stopped (None: zeros), so a long text fed in pieces gives the same logits as in one go."""
        output, state = self.rnn(self.embedding(ids), state)
        return self.head(self.dropout(output)), state

    def generate(
        self,
        start_ids: ArrayLike,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        generator: _generator | None = None,
    ) -> np.ndarray:
        """start_ids (T0,) or (B, T0) continued by max_new_tokens sampled tokens (see
        npgrad.text.generate for temperature, top_k, top_p and generator). The state is carried
        from step to step, so each new token costs one step of the network, not a rerun."""
        carried: dict[str, Any] = {"state": None, "seen": 0}  # the state after the first `seen` tokens

        def next_logits(ids: np.ndarray) -> Tensor:
            logits, carried["state"] = self(ids[:, carried["seen"] :], carried["state"])
            carried["seen"] = ids.shape[1]
            return logits[:, -1]

        with eval_mode(self):
            return decoding.generate(next_logits, start_ids, max_new_tokens, temperature, top_k, top_p, generator)


class SequenceClassifier(nn.Module):
    """One label for a whole sequence: x (B, T, input_size) -> logits (B, num_classes).

    readout='last': the Linear reads the last layer's final hidden state (both directions',
    concatenated, when bidirectional): a summary the network had to build step by step.
    readout='all': it reads every step's output, flattened to (B, seq_len * directions *
    hidden_size), as the MNIST-1D paper's GRU does; needs seq_len.

    forward(x, lengths=None): lengths (B,) ints for a padded batch, each sequence's own length;
    its final state is then taken at its last real step (the reverse direction starts there),
    and with readout='all' the steps past it read as zeros.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_classes: int,
        cell: str = "gru",
        num_layers: int = 1,
        bidirectional: bool = False,
        readout: str = "last",
        seq_len: int | None = None,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"SequenceClassifier: readout must be one of {READOUTS}, got {readout!r}")
        if readout == "all" and not (isinstance(seq_len, int) and seq_len > 0):
            raise ValueError(f"SequenceClassifier: readout='all' needs seq_len, the number of steps, got {seq_len!r}")
        self.readout, self.seq_len = readout, seq_len
        self.rnn = make_recurrent(
            cell, input_size, hidden_size, num_layers=num_layers, dropout=dropout, bidirectional=bidirectional
        )
        features = hidden_size * self.rnn.num_directions
        self.head = nn.Linear(features * seq_len if readout == "all" else features, num_classes)

    def forward(self, x: Tensor, lengths: ArrayLike | Tensor | None = None) -> Tensor:
        output, state = self.rnn(x, lengths=lengths)
        if self.readout == "last":
            return self.head(self.final_features(last_hidden(state)))
        return self.head(self.all_features(output))

    def final_features(self, h_n: Tensor) -> Tensor:
        """The last layer's final hidden state, (B, directions * H), from h_n (layers * directions, B, H)."""
        directions = self.rnn.num_directions
        return h_n[-directions:].transpose(0, 1).reshape(h_n.shape[1], -1)

    def all_features(self, output: Tensor) -> Tensor:
        """Every step's output flattened, (B, seq_len * directions * H); with lengths the output
        has only max(lengths) steps, so it is padded with zeros back to seq_len."""
        if output.shape[1] != self.seq_len:
            if output.shape[1] > self.seq_len:
                raise ValueError(
                    f"SequenceClassifier: expected at most seq_len={self.seq_len} steps, got {output.shape[1]}"
                )
            output = nn.functional.pad(output, (0, 0, 0, self.seq_len - output.shape[1]))
        return output.reshape(output.shape[0], -1)
