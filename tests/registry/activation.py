"""Activations: relu, leaky_relu, prelu, elu, sigmoid, tanh, gelu, silu, softplus, softmax, log_softmax,
and the ones built from them: hardtanh, relu6, logsigmoid, mish, glu, softmin.

`big` multiplies standard-normal inputs by 30, so that values reach +-30 and beyond: the
stable formulas must neither overflow nor lose the gradient there (gelu uses 6, which reaches
the tails of its erf approximation rather than the region where gelu is exactly 0 or x).
"""

from . import f, register, value


EMPTY_DIM = (f(2, 0, 3), value(1))  # softmax along an axis of length 0: an empty result, as in PyTorch


def big(x, scale=30):
    return x * scale


register("relu", lambda lib, F, x: F.relu(x), [f(3, 4), f(2, 3, 5)])
register(
    "leaky_relu", lambda lib, F, x, slope: F.leaky_relu(x, slope), [(f(3, 4), value(0.01)), (f(2, 3, 4), value(0.2))]
)
register(
    "prelu",
    lambda lib, F, x, w: F.prelu(x, w),
    [(f(3, 4), f(1)), (f(2, 3, 4), f(3)), (f(2, 3, 2, 2), f(1)), (f(5), f(1))],
)
register("elu", lambda lib, F, x, alpha: F.elu(x, alpha), [(f(3, 4), value(1.0)), (f(2, 3, 4), value(0.5))])
register("sigmoid", lambda lib, F, x: F.sigmoid(x), [f(3, 4)])
register("sigmoid_large", lambda lib, F, x: F.sigmoid(big(x)), [f(4, 5)])
register("tanh", lambda lib, F, x: F.tanh(x), [f(3, 4)])
register("tanh_large", lambda lib, F, x: F.tanh(big(x)), [f(4, 5)])
register(
    "gelu", lambda lib, F, x, mode: F.gelu(x, approximate=mode), [(f(3, 4), value("none")), (f(2, 3, 4), value("tanh"))]
)
register(
    "gelu_large",
    lambda lib, F, x, mode: F.gelu(big(x, 6), approximate=mode),
    [(f(4, 5), value("none")), (f(4, 5), value("tanh"))],
)
register("silu", lambda lib, F, x: F.silu(x), [f(3, 4), f(2, 3, 4)])
register("silu_large", lambda lib, F, x: F.silu(big(x)), [f(4, 5)])
register(
    "softplus",
    lambda lib, F, x, beta, threshold: F.softplus(x, beta, threshold),
    [(f(3, 4), value(1.0), value(20.0)), (f(3, 4), value(2.0), value(1.0)), (f(2, 3, 4), value(0.5), value(20.0))],
)
register(
    "softplus_large", lambda lib, F, x, beta: F.softplus(big(x), beta), [(f(4, 5), value(1.0)), (f(4, 5), value(3.0))]
)
register(
    "softmax",
    lambda lib, F, x, dim: F.softmax(x, dim),
    [(f(3, 4), value(1)), (f(3, 4), value(0)), (f(2, 3, 4), value(-1)), (f(2, 3, 4), value(1)), EMPTY_DIM],
)
register("softmax_large", lambda lib, F, x: F.softmax(big(x), -1), [f(3, 5)])
register(
    "log_softmax",
    lambda lib, F, x, dim: F.log_softmax(x, dim),
    [(f(3, 4), value(1)), (f(3, 4), value(0)), (f(2, 3, 4), value(-1)), (f(2, 3, 4), value(1)), EMPTY_DIM],
)
register("log_softmax_large", lambda lib, F, x: F.log_softmax(big(x), -1), [f(3, 5)])
register(
    "hardtanh",
    lambda lib, F, x, lo, hi: F.hardtanh(x, lo, hi),
    [(f(3, 4), value(-1.0), value(1.0)), (f(2, 3, 4), value(-0.5), value(0.25))],
)
register("relu6", lambda lib, F, x: F.relu6(x * 4), [f(3, 5)])
register("logsigmoid", lambda lib, F, x: F.logsigmoid(x), [f(3, 4), f(2, 3, 4)])
register("logsigmoid_large", lambda lib, F, x: F.logsigmoid(big(x)), [f(4, 5)])
register("mish", lambda lib, F, x: F.mish(x), [f(3, 4), f(2, 3, 4)])
register("glu", lambda lib, F, x, dim: F.glu(x, dim), [(f(3, 4), value(-1)), (f(4, 3, 2), value(0))])
register("softmin", lambda lib, F, x, dim: F.softmin(x, dim), [(f(3, 4), value(1)), (f(2, 3, 4), value(0))])
