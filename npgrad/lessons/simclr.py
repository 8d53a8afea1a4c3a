"""Self-supervised contrastive learning (SimCLR): two augmented views, NT-Xent loss; linear probe.

Chen et al., 2020, on Fashion-MNIST without its labels: two random augmentations of every
image (crop, flip, noise, erasing) go through the encoder and a projection head, and the
NT-Xent loss pulls each pair of views together while pushing them from the other views in the
batch.

Like every pretext lesson (npgrad/ssl/pretext_lesson.py) it pretrains npgrad.ssl.ConvEncoder for
about 15 s of CPU time, scores the task on test images before and after, and judges the
encoder by a linear probe with 1 % and 100 % of the labels against the untrained encoder.
"""

from npgrad.analysis.plots import plot_image_rows
from npgrad.lessons import main
from npgrad.ssl import SimCLR
from npgrad.ssl.pretext_lesson import run_pretext_lesson


def draw_views(method, images, path):
    """The images and their two augmented views."""
    (view1, view2), _ = method.pretext_batch(images)
    return plot_image_rows({"image": images, "view 1": view1, "view 2": view2}, path, 8)


def run(out_dir, quick=False):
    return run_pretext_lesson(
        "SimCLR", lambda encoder, seed: SimCLR(encoder, generator=seed), draw_views, out_dir, quick, 60
    )


READ_NEXT = """
the method: npgrad/ssl/simclr.py SimCLR and contrastive_accuracy, npgrad/ssl/augment.py simclr_augmentation
the loss: npgrad/functional/contrastive.py nt_xent
pretraining and the probe: npgrad/ssl/method.py pretrain, npgrad/ssl/evaluation.py linear_probe
the lesson's pipeline: npgrad/ssl/pretext_lesson.py run_pretext_lesson
the page: docs/lessons/simclr.md
"""

if __name__ == "__main__":
    main(run)
