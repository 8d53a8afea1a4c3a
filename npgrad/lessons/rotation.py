"""Self-supervised rotation prediction: which of 0/90/180/270 degrees was an image turned; linear probe.

Gidaris et al., 2018, on Fashion-MNIST without its labels: every image is shown turned by 0,
90, 180 and 270 degrees, and a linear head on the encoder's features says which. To tell which
way is up, the encoder has to find the object and its parts.

Like every pretext lesson (npgrad/ssl/pretext_lesson.py) it pretrains npgrad.ssl.ConvEncoder for
about 15 s of CPU time, scores the task on test images before and after, and judges the
encoder by a linear probe with 1 % and 100 % of the labels against the untrained encoder.
"""

from npgrad.analysis.plots import plot_image_rows
from npgrad.lessons import main
from npgrad.ssl import Rotation
from npgrad.ssl.pretext_lesson import run_pretext_lesson
from npgrad.ssl.rotation import ANGLES


def draw_rotations(method, images, path):
    """One row per angle: the images as the encoder sees them."""
    turned, _ = method.pretext_batch(images)
    return plot_image_rows({f"{angle} degrees": turned[k * len(images) :] for k, angle in enumerate(ANGLES)}, path, 8)


def run(out_dir, quick=False):
    return run_pretext_lesson(
        "rotation", lambda encoder, seed: Rotation(encoder, generator=seed), draw_rotations, out_dir, quick, 40
    )


READ_NEXT = """
the method: npgrad/ssl/rotation.py Rotation and rotations, npgrad/ssl/encoder.py ConvEncoder
pretraining and the probe: npgrad/ssl/method.py pretrain, npgrad/ssl/evaluation.py linear_probe
the lesson's pipeline: npgrad/ssl/pretext_lesson.py run_pretext_lesson
the page: docs/lessons/rotation.md
"""

if __name__ == "__main__":
    main(run)
