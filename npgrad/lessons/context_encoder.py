"""Self-supervised inpainting (context encoder): paint a 12x12 hole back from the rest; linear probe.

Pathak et al., 2016, on Fashion-MNIST without its labels: a 12x12 square of every image is
blanked, and a decoder on the encoder's features paints the whole image back; to fill the hole
the encoder must know what clothes look like.

Like every pretext lesson (npgrad/ssl/pretext_lesson.py) it pretrains npgrad.ssl.ConvEncoder for
about 15 s of CPU time, scores the task on test images before and after, and judges the
encoder by a linear probe with 1 % and 100 % of the labels against the untrained encoder.
"""

from npgrad.analysis.plots import plot_image_rows
from npgrad.lessons import main
from npgrad.ssl import ContextEncoder
from npgrad.ssl.pretext_lesson import run_pretext_lesson


def draw_holes(method, images, path):
    """The images, and the same images with their holes as the encoder sees them."""
    masked, _ = method.pretext_batch(images)
    return plot_image_rows({"image": images, "encoder input": masked}, path, 8)


def run(out_dir, quick=False):
    return run_pretext_lesson(
        "inpainting", lambda encoder, seed: ContextEncoder(encoder, generator=seed), draw_holes, out_dir, quick, 60
    )


READ_NEXT = """
the method: npgrad/ssl/inpainting.py ContextEncoder, npgrad/models/autoencoder.py square_masks
the decoder it shares with the autoencoders: npgrad/ssl/autoencoder.py AutoencoderPretext
pretraining and the probe: npgrad/ssl/method.py pretrain, npgrad/ssl/evaluation.py linear_probe
the lesson's pipeline: npgrad/ssl/pretext_lesson.py run_pretext_lesson
the page: docs/lessons/context-encoder.md
"""

if __name__ == "__main__":
    main(run)
