"""Convolutions: conv1d, conv2d, conv_transpose1d, conv_transpose2d over a grid of shapes, strides,
paddings (int, tuple, 'same' with even kernels, 'valid'), dilations and groups (2 and depthwise),
with and without bias, batched and unbatched. Odd sizes and non-square kernels throughout."""

from . import f, register, value


def options(**kwargs):
    """Keyword arguments passed to the op unchanged."""
    return value(kwargs)


NONE = value(None)

register(
    "conv2d",
    lambda lib, F, x, w, b, o: F.conv2d(x, w, b, **o),
    [
        (f(2, 3, 5, 5), f(4, 3, 3, 3), f(4), options()),
        (f(2, 3, 7, 6), f(4, 3, 2, 3), f(4), options(stride=2, padding=1)),
        (f(1, 2, 7, 7), f(3, 2, 2, 2), NONE, options(stride=3)),  # stride > kernel: pixels no window reads
        (f(2, 2, 6, 5), f(3, 2, 3, 2), f(3), options(stride=(2, 1), padding=(2, 1), dilation=2)),
        (f(1, 2, 5, 6), f(2, 2, 4, 2), f(2), options(padding="same")),  # even kernel: one more pad bottom/right
        (f(1, 2, 5, 6), f(2, 2, 2, 3), NONE, options(padding="same", dilation=(1, 2))),
        (f(2, 4, 5, 5), f(6, 2, 3, 3), f(6), options(groups=2, padding=1)),
        (f(1, 4, 5, 4), f(4, 1, 3, 3), f(4), options(groups=4, stride=(1, 2))),  # depthwise
        (f(3, 5, 4), f(2, 3, 3, 3), f(2), options(padding="valid")),  # unbatched (C, H, W)
        (f(2, 1, 4, 4), f(3, 1, 4, 4), f(3), options()),  # the kernel covers the whole input
    ],
)

register(
    "conv1d",
    lambda lib, F, x, w, b, o: F.conv1d(x, w, b, **o),
    [
        (f(2, 3, 9), f(4, 3, 3), f(4), options()),
        (f(2, 4, 10), f(4, 2, 4), NONE, options(stride=3, padding=2, groups=2)),
        (f(1, 2, 7), f(3, 2, 2), f(3), options(padding="same", dilation=3)),
        (f(3, 8), f(2, 3, 3), f(2), options(stride=2, dilation=2)),  # unbatched (C, L)
    ],
)

register(
    "conv_transpose2d",
    lambda lib, F, x, w, b, o: F.conv_transpose2d(x, w, b, **o),
    [
        (f(2, 3, 4, 4), f(3, 2, 3, 3), f(2), options()),
        (f(2, 3, 3, 4), f(3, 2, 4, 4), f(2), options(stride=2, padding=1)),  # the DCGAN upsampling layer
        (f(1, 2, 3, 3), f(2, 3, 3, 2), NONE, options(stride=(2, 3), padding=(1, 0), output_padding=(1, 2))),
        (f(1, 4, 3, 4), f(4, 1, 2, 3), f(2), options(stride=2, groups=2, dilation=(2, 1))),
        (
            f(1, 2, 3, 3),
            f(2, 2, 2, 2),
            NONE,
            options(stride=1, dilation=2, output_padding=1),
        ),  # output_padding < dilation
        (f(2, 3, 3), f(2, 3, 3, 3), f(3), options(stride=3)),  # unbatched; stride > kernel
    ],
)

register(
    "conv_transpose1d",
    lambda lib, F, x, w, b, o: F.conv_transpose1d(x, w, b, **o),
    [
        (f(2, 3, 5), f(3, 2, 3), f(2), options(stride=2, padding=1, output_padding=1)),
        (f(1, 4, 4), f(4, 1, 2), NONE, options(stride=3, groups=2, dilation=2)),
    ],
)
