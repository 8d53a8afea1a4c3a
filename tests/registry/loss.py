"""Losses: mse, l1, smooth_l1, cross_entropy (class indices and probabilities), nll, binary cross-entropy
(on probabilities and on logits) and kl_div, with every reduction and option; then the ones built
from other ops: huber, margin ranking, triplet margin (and pairwise_distance), cosine embedding.

Float targets are inputs with a gradient, so the gradient with respect to the target is
compared with PyTorch's too. Class weights carry no gradient (PyTorch gives none).
"""

import numpy as np

from . import Arg, f, ints, register, unit, value


def options(**kwargs):
    """Keyword arguments passed to the loss unchanged."""
    return value(kwargs)


def no_grad_positive(*shape):
    return Arg(tuple(shape), "positive", grad=False)


W4 = no_grad_positive(4)  # one weight per class, for 4 classes
NONE = value(None)
IGNORED = np.array([2, -100, 0, 3, -100])  # two rows carry PyTorch's default ignore_index

register(
    "smooth_l1_loss",
    lambda lib, F, x, y, o: F.smooth_l1_loss(x, y, **o),
    [
        (f(3, 4), f(3, 4), options()),
        (f(2, 3, 4), f(2, 3, 4), options(reduction="sum", beta=0.5)),
        (f(5), f(5, grad=False), options(reduction="none", beta=2.0)),
        (f(4, 3), f(4, 3), options(beta=0.0)),
    ],
)

for name in ("mse_loss", "l1_loss"):
    register(
        name,
        lambda lib, F, x, y, o, name=name: getattr(F, name)(x, y, **o),
        [
            (f(3, 4), f(3, 4), options()),
            (f(2, 3, 4), f(2, 3, 4), options(reduction="sum")),
            (f(5), f(5, grad=False), options(reduction="none")),
        ],
    )

# Targets are drawn from [0, 4) after the input, so every ignore_index below is hit by some rows.
register(
    "cross_entropy",
    lambda lib, F, x, t, w, o: F.cross_entropy(x, t, weight=w, **o),
    [
        (f(5, 4), ints(4, 5), NONE, options()),
        (f(5, 4), ints(4, 5), NONE, options(reduction="sum")),
        (f(5, 4), ints(4, 5), W4, options(reduction="none")),
        (f(5, 4), ints(4, 5), W4, options()),
        (f(6, 4), ints(4, 6), NONE, options(ignore_index=2)),
        (f(6, 4), ints(4, 6), W4, options(ignore_index=1)),
        (f(6, 4), ints(4, 6), W4, options(ignore_index=1, reduction="none")),
        (f(5, 4), ints(4, 5), NONE, options(label_smoothing=0.1)),
        (f(6, 4), ints(4, 6), W4, options(label_smoothing=0.2, ignore_index=3)),
        (f(6, 4), ints(4, 6), W4, options(label_smoothing=0.3, reduction="none")),
        (f(6, 4), ints(4, 6), W4, options(label_smoothing=0.3, reduction="sum", ignore_index=3)),
        (f(3, 4, 5), ints(4, 3, 5), NONE, options()),
        (f(2, 4, 3), ints(4, 2, 3), W4, options(reduction="none")),
        (f(2, 4, 3, 2), ints(4, 2, 3, 2), W4, options(ignore_index=1, label_smoothing=0.1)),
    ],
)
register(
    "cross_entropy_default_ignore_index",
    lambda lib, F, x, t, o: F.cross_entropy(x, lib.tensor(t), **o),
    [
        (f(5, 4), value(IGNORED), options()),
        (f(5, 4), value(IGNORED), options(label_smoothing=0.1, reduction="none")),
        (f(5, 4), value(IGNORED), options(label_smoothing=0.1, reduction="sum")),
        (f(4), value(np.array(2)), options()),  # one unbatched sample: input (C,), target ()
    ],
)
register(
    "cross_entropy_probabilities",
    lambda lib, F, x, y, w, o: F.cross_entropy(x, y, weight=w, **o),
    [
        (f(5, 4), unit(5, 4), NONE, options()),
        (f(5, 4), unit(5, 4), W4, options(reduction="sum")),
        (f(5, 4), unit(5, 4), W4, options(label_smoothing=0.2, reduction="none")),
        (f(3, 4, 5), unit(3, 4, 5), NONE, options(label_smoothing=0.1)),
        (f(2, 4, 3), Arg((2, 4, 3), "unit", grad=False), W4, options()),
    ],
)
register("cross_entropy_large_logits", lambda lib, F, x, t: F.cross_entropy(x * 30, t), [(f(6, 5), ints(5, 6))])

register(
    "nll_loss",
    lambda lib, F, x, t, w, o: F.nll_loss(x, t, weight=w, **o),
    [
        (f(5, 4), ints(4, 5), NONE, options()),
        (f(5, 4), ints(4, 5), NONE, options(reduction="sum")),
        (f(5, 4), ints(4, 5), W4, options(reduction="none")),
        (f(6, 4), ints(4, 6), W4, options(ignore_index=2)),
        (f(3, 4, 5), ints(4, 3, 5), W4, options(ignore_index=0, reduction="none")),
    ],
)
register("nll_loss_of_log_softmax", lambda lib, F, x, t: F.nll_loss(F.log_softmax(x, 1), t), [(f(5, 4), ints(4, 5))])

register(
    "binary_cross_entropy",
    lambda lib, F, x, y, w, o: F.binary_cross_entropy(x, y, weight=w, **o),
    [
        (unit(3, 4), unit(3, 4), NONE, options()),
        (unit(3, 4), unit(3, 4), no_grad_positive(4), options(reduction="sum")),
        (unit(2, 3), Arg((2, 3), "unit", grad=False), no_grad_positive(2, 3), options(reduction="none")),
    ],
)
# inputs clamped to exactly 0 and 1, where the logs are clamped to -100. The target gets no
# gradient here: npgrad's is that of the clamped loss (+-100), PyTorch's is +-inf.
register(
    "binary_cross_entropy_saturated",
    lambda lib, F, x, y: F.binary_cross_entropy(lib.clamp(x, 0, 1), y),
    [(f(4, 5), Arg((4, 5), "unit", grad=False))],
)
register(
    "binary_cross_entropy_with_logits",
    lambda lib, F, x, y, w, pw, o: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, **o),
    [
        (f(3, 4), unit(3, 4), NONE, NONE, options()),
        (f(3, 4), unit(3, 4), no_grad_positive(3, 1), NONE, options(reduction="sum")),
        (f(3, 4), unit(3, 4), NONE, no_grad_positive(4), options(reduction="none")),
        (f(2, 3, 4), unit(2, 3, 4), no_grad_positive(4), no_grad_positive(4), options()),
    ],
)
register(
    "binary_cross_entropy_with_logits_large",
    lambda lib, F, x, y, pw: F.binary_cross_entropy_with_logits(x * 30, y, pos_weight=pw),
    [(f(4, 5), unit(4, 5), NONE), (f(4, 5), unit(4, 5), no_grad_positive(5))],
)

register(
    "kl_div",
    lambda lib, F, x, y, o: F.kl_div(x, y, **o),
    [
        (f(3, 4), unit(3, 4), options()),
        (f(3, 4), unit(3, 4), options(reduction="batchmean")),
        (f(3, 4), unit(3, 4), options(reduction="sum")),
        (f(2, 3, 4), unit(2, 3, 4), options(reduction="none")),
        (f(3, 4), f(3, 4), options(log_target=True)),
        (f(3, 4), f(3, 4), options(log_target=True, reduction="batchmean")),
    ],
)
# targets with zeros, where y log y is taken as 0 (no target gradient: it is infinite there)
register(
    "kl_div_zero_targets",
    lambda lib, F, x, y: F.kl_div(x, F.relu(y - 0.5), reduction="sum"),
    [(f(3, 4), Arg((3, 4), "unit", grad=False))],
)

# losses built from other ops
REDUCTIONS = [value("mean"), value("sum"), value("none")]
SIGNS = np.array([1, -1, 1, 1, -1, -1], np.float32)  # which of each pair should rank higher / be alike
register(
    "huber_loss",
    lambda lib, F, x, t, r, delta: F.huber_loss(x, t, reduction=r, delta=delta),
    [(f(3, 4), f(3, 4), r, value(d)) for r, d in zip(REDUCTIONS, (1.0, 0.5, 2.0))],
)
register(
    "margin_ranking_loss",
    lambda lib, F, a, b, m, r: F.margin_ranking_loss(a, b, lib.tensor(SIGNS), m, reduction=r),
    [(f(6), f(6), value(m), r) for r, m in zip(REDUCTIONS, (0.0, 0.5, 0.2))],
)
register(
    "triplet_margin_loss",
    lambda lib, F, a, p, n, swap, r: F.triplet_margin_loss(a, p, n, margin=2.0, swap=swap, reduction=r),
    [(f(5, 3), f(5, 3), f(5, 3), value(swap), r) for swap, r in ((False, REDUCTIONS[0]), (True, REDUCTIONS[2]))],
)
register(
    "pairwise_distance",
    lambda lib, F, a, b, p: F.pairwise_distance(a, b, p),
    [(f(4, 3), f(4, 3), value(2.0)), (f(2, 4, 3), f(4, 3), value(1.0))],
)
register(
    "cosine_embedding_loss",
    lambda lib, F, a, b, m, r: F.cosine_embedding_loss(a, b, lib.tensor(SIGNS), m, reduction=r),
    [(f(6, 3), f(6, 3), value(m), r) for r, m in zip(REDUCTIONS, (0.0, 0.3, -0.2))],
)
