"""Core tensor ops: arithmetic, math, reductions, shapes, indexing, matmul."""

from . import distinct, f, ints, mask, pos, register, value

BROADCAST_PAIRS = [
    (f(3, 4), f(3, 4)),
    (f(2, 3, 4), f(4)),
    (f(3, 1), f(1, 5)),
    (f(2, 1, 4), f(3, 1)),
    (f(3, 4), value(1.5)),
]

register("add", lambda lib, F, a, b: a + b, BROADCAST_PAIRS + [(value(2.0), f(3))])
register("add_alpha", lambda lib, F, a, b: lib.add(a, b, alpha=0.5), [(f(3, 4), f(4))])
register("sub", lambda lib, F, a, b: a - b, BROADCAST_PAIRS + [(value(2.0), f(3))])
register("mul", lambda lib, F, a, b: a * b, BROADCAST_PAIRS)
register(
    "div",
    lambda lib, F, a, b: a / b,
    [(f(3, 4), pos(3, 4)), (f(2, 3), pos(3)), (value(1.0), pos(4)), (f(3), value(4.0))],
)
register(
    "pow_scalar",
    lambda lib, F, x, p: x**p,
    [(pos(3, 4), value(2)), (pos(5), value(0.5)), (f(3, 2), value(3)), (pos(4), value(-1.5))],
)
register("pow_tensor", lambda lib, F, a, b: a**b, [(pos(3, 4), f(3, 4)), (pos(2, 3), f(3)), (value(2.0), f(4))])
register("square", lambda lib, F, x: lib.square(x), [f(3, 4)])
register("neg", lambda lib, F, x: -x, [f(3, 4)])
register("exp", lambda lib, F, x: lib.exp(x), [f(3, 4)])
register("log", lambda lib, F, x: lib.log(x), [pos(3, 4)])
register("sqrt", lambda lib, F, x: lib.sqrt(x), [pos(3, 4)])
register("abs", lambda lib, F, x: lib.abs(x), [f(3, 4)])
register("sin", lambda lib, F, x: lib.sin(x), [f(3, 4)])
register("cos", lambda lib, F, x: lib.cos(x), [f(3, 4)])
register(
    "clamp",
    lambda lib, F, x, lo, hi: lib.clamp(x, lo, hi),
    [(f(4, 5), value(-0.5), value(0.5)), (f(6), value(None), value(0.2)), (f(6), value(-0.3), value(None))],
)
register("maximum", lambda lib, F, a, b: lib.maximum(a, b), [(f(3, 4), f(3, 4)), (f(2, 3), f(3))])
register("minimum", lambda lib, F, a, b: lib.minimum(a, b), [(f(3, 4), f(3, 4)), (f(2, 3), f(3))])
register(
    "where", lambda lib, F, c, a, b: lib.where(c, a, b), [(mask(3, 4), f(3, 4), f(3, 4)), (mask(2, 3), f(3), f(2, 1))]
)
register("cast_float64", lambda lib, F, x: x.double() * 2, [f(3, 4)])

register(
    "sum",
    lambda lib, F, x, d, k: x.sum(d, keepdim=k) if d is not None else x.sum(),
    [
        (f(3, 4), value(None), value(False)),
        (f(2, 3, 4), value(1), value(False)),
        (f(2, 3, 4), value(-1), value(True)),
        (f(2, 3, 4), value((0, 2)), value(False)),
    ],
)
register(
    "mean",
    lambda lib, F, x, d, k: x.mean(d, keepdim=k) if d is not None else x.mean(),
    [
        (f(3, 4), value(None), value(False)),
        (f(2, 3, 4), value(1), value(True)),
        (f(2, 3, 4), value((0, 2)), value(False)),
    ],
)
register("max_all", lambda lib, F, x: x.max(), [distinct(3, 4)])
register("min_all", lambda lib, F, x: x.min(), [distinct(3, 4)])
register(
    "max_dim",
    lambda lib, F, x, d, k: x.max(d, keepdim=k)[0],
    [(distinct(3, 4), value(1), value(False)), (distinct(2, 3, 4), value(0), value(True))],
)
register(
    "min_dim",
    lambda lib, F, x, d, k: x.min(d, keepdim=k)[0],
    [(distinct(3, 4), value(-1), value(False)), (distinct(2, 3, 4), value(1), value(True))],
)
register(
    "var",
    lambda lib, F, x, d, c, k: x.var(d, correction=c, keepdim=k),
    [
        (f(3, 4), value(None), value(1), value(False)),
        (f(2, 3, 4), value(1), value(0), value(True)),
        (f(5, 6), value((0, 1)), value(1), value(False)),
    ],
)
register(
    "std",
    lambda lib, F, x, d, k: x.std(d, keepdim=k),
    [(f(3, 4), value(1), value(False)), (f(2, 5), value(0), value(True))],
)
register(
    "logsumexp",
    lambda lib, F, x, d, k: lib.logsumexp(x, d, keepdim=k),
    [(f(3, 4), value(1), value(False)), (f(2, 3, 4), value(0), value(True))],
)

register("reshape", lambda lib, F, x: x.reshape(4, -1) * 1, [f(2, 3, 4)])
register(  # a copying reshape; its gradient comes back in the permuted input's memory order
    "reshape_of_permuted",
    lambda lib, F, x: x.permute(1, 2, 0).reshape(3, 8).tanh() * lib.arange(24.0).reshape(3, 8),
    [f(2, 3, 4)],
)
register("view", lambda lib, F, x: x.view(2, 12) * 1, [f(2, 3, 4)])
register(
    "flatten",
    lambda lib, F, x, s, e: x.flatten(s, e) * 1,
    [(f(2, 3, 4, 5), value(1), value(-1)), (f(2, 3, 4), value(0), value(1))],
)
register(
    "squeeze",
    lambda lib, F, x, d: (x.squeeze(d) if d is not None else x.squeeze()) * 1,
    [(f(2, 1, 3, 1), value(None)), (f(2, 1, 3), value(1))],
)
register("unsqueeze", lambda lib, F, x, d: x.unsqueeze(d) * 1, [(f(2, 3), value(0)), (f(2, 3), value(-1))])
register("transpose", lambda lib, F, x: x.transpose(0, 2) * 1, [f(2, 3, 4)])
register("T", lambda lib, F, x: x.T * 1, [f(3, 4)])
register("permute", lambda lib, F, x: x.permute(2, 0, 1) * 1, [f(2, 3, 4)])
register("expand", lambda lib, F, x: x.expand(2, 3, 4) * 1, [f(3, 1), f(1, 1, 4)])
register("index_basic", lambda lib, F, x: x[1, :, None, ::2] * 1, [f(3, 4, 5)])
register("index_ellipsis", lambda lib, F, x: x[..., 1:3] * 1, [f(3, 4, 5)])
register("index_int_array", lambda lib, F, x, i: x[i] * 1, [(f(5, 3), ints(5, 7)), (f(4), ints(4, 2, 3))])
register("index_mixed", lambda lib, F, x, i: x[:, i] * 1, [(f(3, 5), ints(5, 6))])
register("index_bool_mask", lambda lib, F, x, m: x[m] * 1, [(f(4, 5), mask(4, 5)), (f(4, 5), mask(4))])
register(
    "cat",
    lambda lib, F, a, b, d: lib.cat([a, b], d),
    [(f(2, 3), f(4, 3), value(0)), (f(2, 3), f(2, 5), value(1)), (f(2, 3, 2), f(2, 3, 1), value(-1))],
)
register(
    "stack", lambda lib, F, a, b, d: lib.stack([a, b], d), [(f(2, 3), f(2, 3), value(0)), (f(2, 3), f(2, 3), value(2))]
)
register(
    "split",
    lambda lib, F, x, s, d: lib.cat([p * (i + 1) for i, p in enumerate(x.split(s, d))], d),
    [(f(7, 3), value(3), value(0)), (f(2, 6), value([1, 2, 3]), value(1))],
)
register("split_one_piece_used", lambda lib, F, x: x.split(2, 1)[1] * 3, [f(3, 6)])  # the others get zero gradients
register(
    "unbind",
    lambda lib, F, x, d: sum(p * (i + 1) for i, p in enumerate(x.unbind(d))),
    [(f(3, 4, 2), value(0)), (f(3, 4, 2), value(-1))],
)
register(
    "chunk",
    lambda lib, F, x, c, d: lib.cat([p * (i + 1) for i, p in enumerate(x.chunk(c, d))], d),
    [(f(7, 3), value(3), value(0))],
)
register(
    "pad",
    lambda lib, F, x, p, v: F.pad(x, p, value=v),
    [(f(2, 3, 4), value((1, 2)), value(0.0)), (f(2, 3, 4), value((1, 0, 2, 3)), value(-1.5))],
)
register(
    "masked_fill",
    lambda lib, F, x, m, v: x.masked_fill(m, v),
    [(f(3, 4), mask(3, 4), value(-2.0)), (f(2, 3, 4), mask(3, 4), value(0.5))],
)
register(
    "gather",
    lambda lib, F, x, d, i: x.gather(d, i),
    [(f(3, 4), value(1), ints(4, 3, 6)), (f(5, 3), value(0), ints(5, 2, 3)), (f(5, 4), value(1), ints(4, 2, 3))],
)
register(
    "tril",
    lambda lib, F, x, k: lib.tril(x, diagonal=k),
    [(f(4, 5), value(0)), (f(2, 3, 4), value(-1)), (f(3, 5), value(2))],
)
register("triu", lambda lib, F, x, k: x.triu(k), [(f(4, 5), value(0)), (f(2, 4, 3), value(1)), (f(5, 3), value(-2))])
register(
    "matmul",
    lambda lib, F, a, b: a @ b,
    [
        (f(3, 4), f(4, 5)),
        (f(4), f(4, 5)),
        (f(3, 4), f(4)),
        (f(4), f(4)),
        (f(2, 3, 4), f(4, 5)),
        (f(2, 1, 3, 4), f(5, 4, 2)),
        (f(4), f(2, 4, 3)),
    ],
)
register(
    "linear",
    lambda lib, F, x, w, b: F.linear(x, w, b),
    [(f(5, 4), f(3, 4), f(3)), (f(2, 5, 4), f(3, 4), f(3)), (f(4), f(3, 4), f(3))],
)
register("linear_no_bias", lambda lib, F, x, w: F.linear(x, w), [(f(5, 4), f(3, 4))])


def assign_slice(x, v, index):
    """y = x * 1; y[index] = v: an in-place write recorded in the graph."""
    y = x * 1
    y[index] = v
    return y


register(
    "setitem",
    lambda lib, F, x, v, i: assign_slice(x, v, i),
    [
        (f(4, 5), f(2, 5), value(slice(1, 3))),
        (f(4, 5), f(4), value((slice(None), 2))),
        (f(3, 4), f(1, 4), value(slice(0, 1))),
        (f(6), f(1), value(slice(None, None, 2))),
    ],
)
