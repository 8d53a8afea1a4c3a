"""Pooling: max_pool1d/2d, avg_pool1d/2d and adaptive_avg/max_pool2d over kernel sizes, strides
(larger and smaller than the kernel), paddings, dilation, ceil_mode and count_include_pad.
Max pooling runs on distinct values, so that no tie makes the gradient ambiguous."""

from . import distinct, f, register, value


def options(**kwargs):
    """Keyword arguments passed to the op unchanged."""
    return value(kwargs)


register(
    "max_pool2d",
    lambda lib, F, x, o: F.max_pool2d(x, **o),
    [
        (distinct(2, 3, 6, 6), options(kernel_size=2)),
        (distinct(2, 2, 7, 5), options(kernel_size=2)),  # odd sizes: the last row/column is dropped
        (distinct(1, 2, 7, 6), options(kernel_size=(3, 2), stride=(2, 1), padding=1)),
        (distinct(1, 2, 7, 7), options(kernel_size=3, stride=2, ceil_mode=True)),
        (distinct(1, 2, 6, 6), options(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
        (distinct(1, 2, 5, 5), options(kernel_size=2, stride=3, ceil_mode=True)),  # stride > kernel
        (distinct(1, 2, 8, 7), options(kernel_size=2, dilation=(2, 3), padding=1)),
        (distinct(2, 5, 5), options(kernel_size=3, stride=1)),  # unbatched, overlapping windows
    ],
)

register(
    "max_pool1d",
    lambda lib, F, x, o: F.max_pool1d(x, **o),
    [
        (distinct(2, 3, 9), options(kernel_size=2)),
        (distinct(2, 2, 10), options(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
        (distinct(3, 11), options(kernel_size=3, dilation=2)),
    ],
)

register(
    "avg_pool2d",
    lambda lib, F, x, o: F.avg_pool2d(x, **o),
    [
        (f(2, 3, 6, 6), options(kernel_size=2)),
        (f(1, 2, 7, 5), options(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))),
        (f(1, 2, 7, 6), options(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
        (f(1, 2, 6, 6), options(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
        (f(1, 2, 6, 7), options(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
        (f(1, 2, 5, 5), options(kernel_size=2, stride=3, ceil_mode=True)),
        (f(1, 2, 5, 5), options(kernel_size=3, stride=1, padding=1, divisor_override=4)),
        (f(2, 5, 4), options(kernel_size=2, stride=1)),  # unbatched
    ],
)

register(
    "avg_pool1d",
    lambda lib, F, x, o: F.avg_pool1d(x, **o),
    [
        (f(2, 3, 9), options(kernel_size=3)),
        (f(2, 2, 10), options(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)),
    ],
)

register(
    "adaptive_avg_pool2d",
    lambda lib, F, x, o: F.adaptive_avg_pool2d(x, o),
    [
        (f(2, 3, 7, 5), value((3, 2))),  # bins of unequal size, overlapping
        (f(2, 3, 4, 6), value(1)),  # global average pooling
        (f(2, 4, 6), value((None, 4))),  # unbatched; None keeps the height
        (f(1, 2, 3, 2), value((5, 4))),  # larger than the input: bins repeat pixels
    ],
)

register(
    "adaptive_avg_pool1d",
    lambda lib, F, x, o: F.adaptive_avg_pool1d(x, o),
    [(f(2, 3, 7), value(3)), (f(3, 5), value((1,))), (f(2, 2, 3), value(5))],  # unequal bins; unbatched; larger
)

register(
    "adaptive_max_pool2d",
    lambda lib, F, x, o: F.adaptive_max_pool2d(x, o),
    [
        (distinct(2, 3, 7, 5), value((3, 2))),  # bins of unequal size, overlapping
        (distinct(2, 3, 4, 6), value(1)),  # global max pooling
        (distinct(2, 4, 6), value((None, 4))),  # unbatched; None keeps the height
        (distinct(1, 2, 3, 2), value((5, 4))),  # larger than the input: bins repeat pixels
    ],
)
