"""Recurrent cells and layers, and the embedding lookup.

The cells (rnn_tanh_cell, rnn_relu_cell, lstm_cell, gru_cell) are checked against PyTorch's own
(torch.lstm_cell and friends), with and without biases. A whole layer in one direction
(recurrent_layer: one GEMM for the inputs, then the RecurrenceFunction over the steps) is
checked against a hand-written loop over PyTorch's cells, forwards and in reverse, with and
without variable lengths (a finished sequence keeps its state and outputs 0).
"""

import numpy as np

import npgrad.functional.recurrent as R
from . import f, ints, register, value

NONE = value(None)
B, I, H, T = 3, 4, 5, 6
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
TORCH_CELL = {"RNN_TANH": "rnn_tanh_cell", "RNN_RELU": "rnn_relu_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}


def weights(mode, bias=True, input_size=I):
    size = GATES[mode] * H
    biases = (f(size), f(size)) if bias else (NONE, NONE)
    return (f(size, input_size), f(size, H)) + biases


def pack_state(mode, *state):
    """The state as the cell functions take it: (h, c) for the LSTM, h otherwise."""
    return tuple(state) if mode == "LSTM" else state[0]


def register_cell(mode):
    """x (B, I), h (and c for the LSTM) (B, H), then W_ih, W_hh, b_ih, b_hh."""
    name = TORCH_CELL[mode]
    states = (f(B, H), f(B, H)) if mode == "LSTM" else (f(B, H),)

    def run(cells, x, *rest):
        state, params = rest[: len(states)], rest[len(states) :]
        return getattr(cells, name)(x, pack_state(mode, *state), *params)

    register(
        name,
        lambda lib, F, *inputs: run(lib, *inputs),  # npgrad.lstm_cell as torch.lstm_cell
        [
            (f(B, I), *states, *weights(mode)),
            (f(2, 3), *((f(2, H),) * len(states)), *weights(mode, bias=False, input_size=3)),
        ],
    )


for cell_mode in GATES:
    register_cell(cell_mode)


def torch_layer(torch, mode, x, state, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
    """A layer as a loop over PyTorch's cell: where a sequence is past its length (lengths) the
    state stays and the output is 0."""
    cell = getattr(torch, TORCH_CELL[mode])
    outputs = [None] * len(x)
    for t in reversed(range(len(x))) if reverse else range(len(x)):
        new = cell(x[t], pack_state(mode, *state), w_ih, w_hh, b_ih, b_hh)
        new = tuple(new) if mode == "LSTM" else (new,)
        if lengths is not None:
            active = torch.from_numpy(t < lengths)[:, None]
            new = tuple(torch.where(active, n, s) for n, s in zip(new, state))
            outputs[t] = torch.where(active, new[0], 0)
        else:
            outputs[t] = new[0]
        state = new
    return (torch.stack(outputs), *state)


def register_layer(mode):
    """x (T, B, I), the initial state, the weights, then lengths and the direction."""
    n_states = 2 if mode == "LSTM" else 1
    lengths = value(np.array([6, 2, 4]))

    def ours(lib, F, x, *rest):
        state, params, (lengths, reverse) = rest[:n_states], rest[n_states:-2], rest[-2:]
        output, final = R.recurrent_layer(mode, x, state, *params, lengths=lengths, reverse=reverse)
        return (output, *final)

    def theirs(lib, F, x, *rest):
        state, params, (lengths, reverse) = rest[:n_states], rest[n_states:-2], rest[-2:]
        return torch_layer(lib, mode, x, state, *params, lengths, reverse)

    states = (f(B, H),) * n_states
    register(
        f"recurrent_layer_{mode.lower()}",
        ours,
        [
            (f(T, B, I), *states, *weights(mode), NONE, value(False)),
            (f(T, B, I), *states, *weights(mode), NONE, value(True)),
            (f(T, B, I), *states, *weights(mode), lengths, value(False)),
            (f(T, B, I), *states, *weights(mode, bias=False), lengths, value(True)),
        ],
        torch_fn=theirs,
    )


for layer_mode in GATES:
    register_layer(layer_mode)


def options(**kwargs):
    return value(kwargs)


# 12 ids drawn from 7 rows: most rows are looked up more than once
register(
    "embedding",
    lambda lib, F, ids, w, o: F.embedding(ids, w, **o),
    [
        (ints(7, 3, 4), f(7, 5), options()),
        (ints(7, 0), f(7, 5), options()),  # no tokens: a zero gradient
    ],
)

# padding_idx withholds its row's gradient and scale_grad_by_freq rescales the gradients on
# purpose: not derivatives that finite differences can check, so only PyTorch parity
register(
    "embedding_padding_idx_or_scaled",
    lambda lib, F, ids, w, o: F.embedding(ids, w, **o),
    [
        (ints(7, 12), f(7, 5), options(padding_idx=2)),
        (ints(7, 2, 2, 3), f(7, 5), options(scale_grad_by_freq=True)),
        (ints(7, 2, 6), f(7, 5), options(padding_idx=-1, scale_grad_by_freq=True)),
    ],
    gradcheck=False,
)
