"""The same DCGAN on Fashion-MNIST, FID per epoch vs the real-data floor.

The gan lesson's networks, losses and schedule on clothes instead of digits (no conditional GAN):
FID is measured in the features of the Fashion-MNIST CNN shipped with npgrad.
"""

from npgrad.lessons import main
from npgrad.lessons.gan import run_gan_lesson


def run(out_dir, quick=False):
    return run_gan_lesson(out_dir, quick, "fashion-mnist", conditional=False)


READ_NEXT = """
the lesson it builds on: npgrad/lessons/gan.py run_gan_lesson (its READ_NEXT lists the rest)
the networks and the training step: npgrad/models/gan.py DCGANGenerator, DCGANDiscriminator, GANTrainer
FID: npgrad/metrics/fid.py frechet_distance, npgrad/metrics/extractor.py FeatureExtractor
the page: docs/lessons/gan-fashion-mnist.md
"""


if __name__ == "__main__":
    main(run)
