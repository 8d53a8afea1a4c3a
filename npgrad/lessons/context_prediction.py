"""Self-supervised context prediction: where does a patch sit relative to the centre patch (8-way); linear probe.

Doersch et al., 2015, on Fashion-MNIST without its labels: a 3x3 grid of patches (with gaps
and jitter, so that lines running on across a border give nothing away) is cut from every
image, and given the centre patch and one neighbour the network says which of the 8 places
the neighbour came from.

Like every pretext lesson (npgrad/ssl/pretext_lesson.py) it pretrains npgrad.ssl.ConvEncoder for
about 15 s of CPU time, scores the task on test images before and after, and judges the
encoder by a linear probe with 1 % and 100 % of the labels against the untrained encoder.
"""

import numpy as np

from npgrad.lessons import main
from npgrad.ssl import ContextPrediction, grid_patches
from npgrad.ssl.context_prediction import NEIGHBOUR_NAMES
from npgrad.ssl.pretext_lesson import draw_patches, run_pretext_lesson


def draw_context(method, images, path):
    """Four images with their grid of patches, and the nine patches named by their place."""
    images = images[:4]
    patches, corners = grid_patches(images, method.patch, method.gap, method.jitter, np.random.default_rng(0))
    names = [*NEIGHBOUR_NAMES[:4], "centre", *NEIGHBOUR_NAMES[4:]]
    titles = [f"patch {method.patch}, gap {method.gap}, jitter {method.jitter}"] * len(images)
    return draw_patches(images, corners, patches, titles, path, [names] * len(images))


def run(out_dir, quick=False):
    return run_pretext_lesson(
        "context prediction",
        lambda encoder, seed: ContextPrediction(encoder, generator=seed),
        draw_context,
        out_dir,
        quick,
        150,
    )


READ_NEXT = """
the method: npgrad/ssl/context_prediction.py ContextPrediction, npgrad/ssl/patches.py grid_patches
pretraining and the probe: npgrad/ssl/method.py pretrain, npgrad/ssl/evaluation.py linear_probe
the lesson's pipeline: npgrad/ssl/pretext_lesson.py run_pretext_lesson
the page: docs/lessons/context-prediction.md
"""

if __name__ == "__main__":
    main(run)
