"""The textbook tier: every core op written exactly as the lecture states it.

Each class here is a Function (or, in optim, an update rule) of a few lines, with no options
and no layout tricks, the math in its docstring, and the same symbols as the lecture
(delta = diag(f'(q)) W^T delta_1, p - onehot(t), i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)).
Each is checked against the fast op that npgrad trains with (and so against PyTorch) on the
same inputs; each docstring says what the fast op does differently and why. Read these first,
then the fast ones in npgrad.functional and npgrad.optim.

    from npgrad import textbook
    y = textbook.LinearFunction.apply(x, W, b)
"""

from . import optim
from .activation import ReLUFunction, SigmoidFunction, TanhFunction
from .attention import AttentionFunction
from .conv import Conv2dIm2colFunction, Conv2dLoopsFunction, col2im, im2col
from .dropout import DropoutFunction
from .linear import LinearFunction
from .loss import SoftmaxCrossEntropyFunction
from .normalization import BatchNormFunction, LayerNormFunction
from .pooling import MaxPool2dFunction
from .recurrent import GRUStepFunction, LSTMStepFunction, RNNStepFunction

__all__ = [
    "AttentionFunction",
    "BatchNormFunction",
    "Conv2dIm2colFunction",
    "Conv2dLoopsFunction",
    "DropoutFunction",
    "GRUStepFunction",
    "LSTMStepFunction",
    "LayerNormFunction",
    "LinearFunction",
    "MaxPool2dFunction",
    "ReLUFunction",
    "RNNStepFunction",
    "SigmoidFunction",
    "SoftmaxCrossEntropyFunction",
    "TanhFunction",
    "col2im",
    "im2col",
    "optim",
]
