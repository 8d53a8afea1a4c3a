"""The textbook tier: every core op written exactly as the lecture states it.

Each class here is a Function (or, in optim, an update rule) of a few lines, with no options
and no layout tricks, the math in its docstring, and the same symbols as the lecture
(delta = diag(f'(q)) W^T delta_1, p - onehot(t), i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)).
Each is checked against the fast op that npgrad trains with (and so against PyTorch) on the
same inputs; each docstring says what the fast op does differently and why. Read these first,
then the fast ones in npgrad.functional and npgrad.optim.

    from npgrad import textbook
    y = textbook.Linear.apply(x, W, b)
"""

from . import optim
from .activation import ReLU, Sigmoid, Tanh
from .attention import Attention
from .conv import Conv2dIm2col, Conv2dLoops, col2im, im2col
from .dropout import Dropout
from .linear import Linear
from .loss import SoftmaxCrossEntropy
from .normalization import BatchNorm, LayerNorm
from .pooling import MaxPool2d
from .recurrent import GRUStep, LSTMStep, RNNStep

__all__ = [
    "Attention",
    "BatchNorm",
    "Conv2dIm2col",
    "Conv2dLoops",
    "Dropout",
    "GRUStep",
    "LSTMStep",
    "LayerNorm",
    "Linear",
    "MaxPool2d",
    "ReLU",
    "RNNStep",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "Tanh",
    "col2im",
    "im2col",
    "optim",
]
