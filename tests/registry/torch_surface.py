"""The rest of torch's tensor surface that teaching code reaches for: mm / mv / dot / outer,
flip, roll, tile, broadcast_to, movedim, swapaxes, hstack / vstack, meshgrid (both indexings),
log1p, expm1, reciprocal and rsqrt, prod (with zeros) and diag."""

import numpy as np

from . import f, pos, register, unit, value

register("mm", lambda lib, F, a, b: lib.mm(a, b), [(f(3, 4), f(4, 2))])
register("mv", lambda lib, F, a, v: lib.mv(a, v), [(f(3, 4), f(4))])
register("dot", lambda lib, F, a, b: lib.dot(a, b), [(f(5), f(5))])
register("outer", lambda lib, F, a, b: lib.outer(a, b), [(f(3), f(4))])
register("flip", lambda lib, F, x, d: lib.flip(x, d), [(f(3, 4), value([0])), (f(2, 3, 4), value((0, 2)))])
register(
    "roll",
    lambda lib, F, x, s, d: lib.roll(x, s, d),
    [(f(3, 4), value(1), value(0)), (f(2, 3, 4), value((2, -1)), value((1, 2))), (f(3, 4), value(5), value(None))],
)
register(
    "tile",
    lambda lib, F, x, r: lib.tile(x, r),
    [(f(2, 3), value((2, 1))), (f(3), value((2, 2))), (f(2, 3), value((3,)))],
)
register("broadcast_to", lambda lib, F, x, s: lib.broadcast_to(x, s), [(f(3, 1), value((2, 3, 4)))])
register(
    "movedim",
    lambda lib, F, x, s, d: lib.movedim(x, s, d),
    [(f(2, 3, 4), value(0), value(2)), (f(2, 3, 4, 5), value((0, 1)), value((3, 0)))],
)
register("swapaxes", lambda lib, F, x: lib.swapaxes(x, 0, 2), [f(2, 3, 4)])
register("hstack", lambda lib, F, a, b: lib.hstack([a, b]), [(f(3), f(2)), (f(2, 3), f(2, 1))])
register("vstack", lambda lib, F, a, b: lib.vstack([a, b]), [(f(3), f(3)), (f(2, 3), f(1, 3))])
register(
    "meshgrid",
    lambda lib, F, a, b, c, indexing: lib.stack(lib.meshgrid(a, b, c, indexing=indexing)),
    [(f(3), f(2), f(4), value("ij")), (f(3), f(2), f(4), value("xy"))],
)
register("log1p", lambda lib, F, x: lib.log1p(x), [unit(3, 4)])
register("log1p_tiny", lambda lib, F, x: lib.log1p(x * 1e-9), [f(3, 4)])  # where log(1 + x) loses x
register("expm1", lambda lib, F, x: lib.expm1(x), [f(3, 4)])
register("reciprocal", lambda lib, F, x: lib.reciprocal(x), [pos(3, 4)])
register("rsqrt", lambda lib, F, x: x.rsqrt(), [pos(3, 4)])
ZEROS = np.array([[1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])  # rows with one, no and two zeros
register(
    "prod",
    lambda lib, F, x, d: x.prod(d) if d is not None else lib.prod(x),
    [(f(3, 4), value(1)), (f(2, 3, 4), value(0)), (f(3, 4), value(None))],
)
register("prod_with_zeros", lambda lib, F, x: (x * lib.tensor(ZEROS).to(x.dtype)).prod(1, keepdim=True), [f(3, 4)])
register(
    "diag",
    lambda lib, F, x, k: lib.diag(x, k),
    [
        (f(3), value(0)),
        (f(3), value(2)),
        (f(3), value(-1)),
        (f(3, 4), value(0)),
        (f(4, 3), value(-2)),
        (f(3, 4), value(1)),
    ],
)
