"""interpolate (nearest; linear and bilinear with and without align_corners: integer and
fractional factors, explicit sizes, down-sampling, one pixel to many and many to one), unfold and
fold (im2col and col2im: strides, dilation, padding, overlapping windows) and the
deterministic cases of dropout2d (evaluation and p = 0; tests/test_nn_conv.py checks the
random ones)."""

from . import f, register, value


def options(**kwargs):
    """Keyword arguments passed to the op unchanged."""
    return value(kwargs)


register(
    "interpolate",
    lambda lib, F, x, o: F.interpolate(x, **o),
    [
        (f(2, 3, 3, 4), options(scale_factor=2)),
        (f(1, 2, 4, 3), options(scale_factor=(1.5, 2.5))),
        (f(1, 2, 5, 7), options(size=(3, 4))),  # smaller: some pixels are never copied
        (f(1, 2, 3, 5), options(size=(7, 6))),
        (f(2, 3, 5), options(scale_factor=1.7)),  # (N, C, L)
        (f(2, 3, 3, 4), options(scale_factor=2, mode="bilinear")),
        (f(1, 2, 4, 3), options(scale_factor=(1.5, 2.5), mode="bilinear", align_corners=True)),
        (f(1, 2, 7, 5), options(size=(3, 4), mode="bilinear")),  # smaller: source points between pixels
        (f(1, 2, 5, 7), options(size=(3, 4), mode="bilinear", align_corners=True)),
        (f(1, 2, 6, 6), options(scale_factor=0.4, mode="bilinear", recompute_scale_factor=True)),
        (f(1, 1, 1, 3), options(size=(4, 1), mode="bilinear", align_corners=True)),  # 1 -> 4 rows, 3 -> 1 column
        (f(2, 3, 5), options(scale_factor=1.7, mode="linear")),
        (f(2, 3, 6), options(size=4, mode="linear", align_corners=True)),
    ],
)

register(
    "unfold",
    lambda lib, F, x, o: F.unfold(x, **o),
    [
        (f(2, 3, 5, 4), options(kernel_size=3)),
        (f(1, 2, 6, 5), options(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(2, 1))),  # overlapping, padded
    ],
)
register(
    "fold",
    lambda lib, F, x, o: F.fold(x, **o),
    [
        (f(2, 27, 6), options(output_size=(4, 5), kernel_size=3)),
        (f(1, 12, 15), options(output_size=(6, 5), kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(2, 1))),
    ],
)

register(
    "dropout2d",
    lambda lib, F, x, p, training: F.dropout2d(x, p, training),
    [
        (f(2, 3, 4, 4), value(0.5), value(False)),
        (f(2, 3, 4), value(0.0), value(True)),
    ],
)
