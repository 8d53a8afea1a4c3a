"""batch_norm: training (batch statistics, with and without running statistics to update) and
evaluation (running statistics), with and without affine weight and bias, on (N, C), (N, C, L)
and (N, C, H, W). The running statistics are inputs without gradient.
layer_norm: over the last one or two dims, with and without weight and bias, and eps.
group_norm: 1 group, several, one a channel, on (N, C), (N, C, L) and (N, C, H, W)."""

from . import Arg, f, register, value


def options(**kwargs):
    """Keyword arguments passed to the op unchanged."""
    return value(kwargs)


def stat(*shape):
    return Arg(tuple(shape), "float", grad=False)


def variance(*shape):
    return Arg(tuple(shape), "positive", grad=False)


NONE = value(None)

register(
    "batch_norm",
    lambda lib, F, x, rm, rv, w, b, o: F.batch_norm(x, rm, rv, w, b, **o),
    [
        (f(5, 3), NONE, NONE, f(3), f(3), options(training=True)),
        (f(4, 3, 5), stat(3), variance(3), f(3), f(3), options(training=True, momentum=0.3)),
        (f(2, 3, 4, 3), NONE, NONE, NONE, NONE, options(training=True)),
        (f(2, 2, 3, 3), stat(2), variance(2), f(2), NONE, options(training=True, eps=1e-3)),
        (f(4, 3), stat(3), variance(3), f(3), f(3), options(training=False)),
        (f(2, 3, 4), stat(3), variance(3), NONE, NONE, options(training=False)),
        (f(2, 3, 3, 4), stat(3), variance(3), f(3), f(3), options(training=False, eps=1e-2)),
    ],
)

register(
    "layer_norm",
    lambda lib, F, x, shape, w, b, o: F.layer_norm(x, shape, w, b, **o),
    [
        (f(4, 5), value((5,)), f(5), f(5), options()),
        (f(2, 3, 4), value((3, 4)), f(3, 4), f(3, 4), options(eps=1e-3)),
        (f(2, 3, 4), value([4]), NONE, NONE, options()),
        (f(3, 2, 5), value((5,)), f(5), NONE, options()),
        (f(6), value([6]), NONE, f(6), options(eps=1e-2)),
    ],
)

register(
    "group_norm",
    lambda lib, F, x, g, w, b, o: F.group_norm(x, g, w, b, **o),
    [
        (f(3, 6, 4), value(2), f(6), f(6), options()),
        (f(2, 4, 3, 3), value(1), f(4), f(4), options(eps=1e-3)),
        (f(2, 4, 3, 2), value(4), NONE, NONE, options()),
        (f(4, 6), value(3), f(6), NONE, options()),
    ],
)
