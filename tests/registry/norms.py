"""Norms and the reductions whose ties share the gradient: vector / matrix norms, normalize, cosine_similarity,
amax / amin over tuples of dims. (The edge cases themselves are in tests/test_edges.py.)"""

import math

from . import distinct, f, register, value

INF = math.inf

register(
    "norm",
    lambda lib, F, x, p, d, k: x.norm(p, d, k),
    [
        (f(3, 4), value(2), value(None), value(False)),
        (f(3, 4), value(2), value(1), value(True)),
        (f(2, 3, 4), value(1), value((0, 2)), value(False)),
        (f(3, 4), value(3.0), value(0), value(False)),
        (f(3, 4), value(0.5), value(-1), value(False)),
        (distinct(3, 4), value(INF), value(1), value(False)),
        (distinct(3, 4), value(-INF), value(None), value(False)),
        (f(3, 4), value("fro"), value(None), value(False)),
    ],
)
register("torch_norm", lambda lib, F, x: lib.norm(x, 2, 0), [f(4, 3)])
register(
    "vector_norm",
    lambda lib, F, x, o, d: lib.linalg.vector_norm(x, o, d),
    [(f(3, 4), value(2), value((0, 1))), (f(3, 4), value(-1), value(1)), (f(2, 3), value(4), value(None))],
)
register(
    "linalg_norm",
    lambda lib, F, x, o, d: lib.linalg.norm(x, o, d),
    [
        (f(3, 4), value(None), value(None)),
        (f(2, 3, 4), value(None), value(-1)),
        (f(3, 4), value("fro"), value(None)),
        (distinct(3, 4), value(1), value(None)),
        (distinct(3, 4), value(-INF), value(None)),
        (distinct(2, 3, 4), value(INF), value((0, 2))),
    ],
)
register(
    "normalize",
    lambda lib, F, x, p, d: F.normalize(x, p, d),
    [(f(3, 4), value(2.0), value(1)), (f(3, 4), value(1.0), value(0))],
)
register(
    "cosine_similarity",
    lambda lib, F, a, b, d: F.cosine_similarity(a, b, d),
    [
        (f(3, 4), f(3, 4), value(1)),
        (f(1, 4), f(5, 4), value(1)),
        (f(4), f(2, 3, 4), value(-1)),
        (f(2, 3), f(2, 3), value(0)),
    ],
)
register(
    "amax",
    lambda lib, F, x, d, k: lib.amax(x, d, k),
    [
        (distinct(3, 4), value(None), value(False)),
        (distinct(2, 3, 4), value((0, 2)), value(True)),
        (distinct(2, 3, 4), value(-1), value(False)),
    ],
)
register("amin", lambda lib, F, x, d, k: x.amin(d, keepdim=k), [(distinct(2, 3, 4), value((1, 2)), value(False))])
