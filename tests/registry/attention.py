"""scaled_dot_product_attention: batched and unbatched, broadcast batch dims, cross-attention
(S != L, Ev != E), no keys at all, boolean masks (True = may attend, with a query that may attend to nothing),
float masks added to the scores (with and without a gradient), is_causal (square and L != S), and an explicit scale.
Dropout draws a different mask than PyTorch's: tests/test_transformer.py checks it."""

import numpy as np

from . import f, register, value


def bool_mask(*shape, seed=0):
    """A fixed boolean mask in which every query may attend to its first key at least."""
    allowed = np.random.default_rng(seed).random(shape) < 0.6
    allowed[..., 0] = True
    return value(allowed)


def options(**kwargs):
    return value(kwargs)


def sdpa(lib, F, q, k, v, mask, o):
    if isinstance(mask, np.ndarray):
        mask = lib.tensor(mask)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **o)


NONE, DEFAULT = value(None), options()
NOBODY = np.ones((3, 3), bool)
NOBODY[1] = False  # query 1 may attend to no key: its output is 0

register(
    "scaled_dot_product_attention",
    sdpa,
    [
        (f(2, 3, 4), f(2, 3, 4), f(2, 3, 4), NONE, DEFAULT),
        (f(3, 4), f(5, 4), f(5, 2), NONE, DEFAULT),
        (f(2, 2, 3, 4), f(2, 2, 5, 4), f(2, 2, 5, 6), NONE, options(scale=0.3)),
        (f(2, 2, 3, 4), f(1, 2, 5, 4), f(2, 1, 5, 4), NONE, DEFAULT),
        (f(2, 2, 3, 4), f(2, 2, 5, 4), f(2, 2, 5, 4), bool_mask(3, 5), DEFAULT),
        (f(2, 2, 3, 4), f(2, 2, 5, 4), f(2, 2, 5, 4), bool_mask(2, 1, 3, 5, seed=1), DEFAULT),
        (f(2, 3, 4), f(2, 3, 4), f(2, 3, 4), value(NOBODY), DEFAULT),
        (f(2, 2, 3, 4), f(2, 2, 5, 4), f(2, 2, 5, 4), f(2, 1, 3, 5, grad=False), DEFAULT),
        (f(2, 2, 3, 4), f(2, 2, 5, 4), f(2, 2, 5, 4), f(2, 1, 3, 5), options(scale=0.7)),
        (f(3, 4), f(5, 4), f(5, 4), f(5), DEFAULT),
        (f(2, 2, 4, 3), f(2, 2, 4, 3), f(2, 2, 4, 3), NONE, options(is_causal=True)),
        (f(2, 3, 4), f(2, 5, 4), f(2, 5, 4), NONE, options(is_causal=True, scale=0.5)),
        (f(2, 3, 4), f(2, 0, 4), f(2, 0, 6), NONE, DEFAULT),  # no keys: the output is 0
    ],
)
