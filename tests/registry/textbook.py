"""The textbook tier (npgrad.textbook): each op written as the lecture states it, checked here
like every other op (float64 gradcheck, float32 parity with PyTorch's own op). Its equality with
the fast npgrad op on the same inputs is tests/test_textbook.py."""

import numpy as np

import npgrad
from npgrad import textbook as T
from . import distinct, f, ints, register, value

N, I, H = 3, 4, 5  # batch, input size, hidden size
P_DROP = 0.5


def dropout_with_seed(lib, F, x):
    npgrad.manual_seed(0)  # the same mask at every call, so finite differences can check it
    return T.DropoutFunction.apply(x, p=P_DROP)


def dropout_mask_of_seed_0(shape):
    """The mask npgrad draws after manual_seed(0), as PyTorch's side of the comparison."""
    return (np.random.default_rng(0).random(shape, dtype=np.float32) >= P_DROP) / (1 - P_DROP)


def torch_dropout_with_seed(lib, F, x):
    return x * lib.from_numpy(dropout_mask_of_seed_0(tuple(x.shape))).to(x.dtype)


def gates(n):
    """x, h, W_ih, W_hh, b_ih, b_hh of a cell with n gates."""
    return f(N, I), f(N, H), f(n * H, I), f(n * H, H), f(n * H), f(n * H)


register(
    "textbook_linear",
    lambda lib, F, x, W, b: T.LinearFunction.apply(x, W, b),
    [(f(N, I), f(H, I), f(H))],
    torch_fn=lambda lib, F, x, W, b: F.linear(x, W, b),
)
for name, activation in {"relu": T.ReLUFunction, "sigmoid": T.SigmoidFunction, "tanh": T.TanhFunction}.items():
    register(
        f"textbook_{name}",
        lambda lib, F, q, fn=activation: fn.apply(q),
        [f(N, I)],
        torch_fn=lambda lib, F, q, name=name: getattr(lib, name)(q),
    )
register(
    "textbook_softmax_cross_entropy",
    lambda lib, F, z, t: T.SoftmaxCrossEntropyFunction.apply(z, t),
    [(f(6, I), ints(I, 6))],
    torch_fn=lambda lib, F, z, t: F.cross_entropy(z, t),
)
for conv in (T.Conv2dLoopsFunction, T.Conv2dIm2colFunction):
    register(
        f"textbook_{conv.__name__.removesuffix('Function')}",
        lambda lib, F, x, W, b, conv=conv: conv.apply(x, W, b),
        [(f(2, 3, 6, 5), f(4, 3, 3, 2), f(4))],
        torch_fn=lambda lib, F, x, W, b: F.conv2d(x, W, b),
    )
register(
    "textbook_max_pool2d",
    lambda lib, F, x, k: T.MaxPool2dFunction.apply(x, k=k),
    [(distinct(2, 3, 6, 5), value(2)), (distinct(1, 2, 6, 6), value(3))],
    torch_fn=lambda lib, F, x, k: F.max_pool2d(x, k),
)
register(
    "textbook_batch_norm",
    lambda lib, F, x, g, b: T.BatchNormFunction.apply(x, g, b),
    [(f(6, I), f(I), f(I))],
    torch_fn=lambda lib, F, x, g, b: F.batch_norm(x, None, None, g, b, training=True),
)
register(
    "textbook_layer_norm",
    lambda lib, F, x, g, b: T.LayerNormFunction.apply(x, g, b),
    [(f(N, 6), f(6), f(6))],
    torch_fn=lambda lib, F, x, g, b: F.layer_norm(x, (6,), g, b),
)
register("textbook_dropout", dropout_with_seed, [f(4, 6)], torch_fn=torch_dropout_with_seed)
register(
    "textbook_rnn_step",
    lambda lib, F, *inputs: T.RNNStepFunction.apply(*inputs),
    [gates(1)],
    torch_fn=lambda lib, F, *inputs: lib.rnn_tanh_cell(*inputs),
)
register(
    "textbook_lstm_step",
    lambda lib, F, x, h, c, *w: T.LSTMStepFunction.apply(x, h, c, *w),
    [(f(N, I), f(N, H), f(N, H), *gates(4)[2:])],
    torch_fn=lambda lib, F, x, h, c, *w: lib.lstm_cell(x, (h, c), *w),
)
register(
    "textbook_gru_step",
    lambda lib, F, *inputs: T.GRUStepFunction.apply(*inputs),
    [gates(3)],
    torch_fn=lambda lib, F, *inputs: lib.gru_cell(*inputs),
)
register(
    "textbook_attention",
    lambda lib, F, q, k, v: T.AttentionFunction.apply(q, k, v),
    [(f(2, 3, 4), f(2, 5, 4), f(2, 5, 6)), (f(2, 3, 4), f(2, 0, 4), f(2, 0, 6))],  # the second: no keys, output 0
    torch_fn=lambda lib, F, q, k, v: F.scaled_dot_product_attention(q, k, v),
)
