"""Dropout: random, so only its deterministic cases are compared with PyTorch here (evaluation,
p = 0 and p = 1); tests/test_dropout.py checks the random behaviour and the gradient."""

from . import f, register, value

register(
    "dropout",
    lambda lib, F, x, p, training: F.dropout(x, p, training),
    [
        (f(3, 4), value(0.5), value(False)),
        (f(3, 4), value(0.0), value(True)),
        (f(2, 3, 4), value(1.0), value(True)),
    ],
)
