"""Self-supervised jigsaw: which of 64 maximally distant permutations shuffled 9 tiles; linear probe.

Noroozi and Favaro, 2016, on Fashion-MNIST without its labels: every image is cut into a 3x3
grid of tiles, shuffled by one of 64 permutations chosen to differ from each other in as many
places as possible, and the network says which permutation it was.

Like every pretext lesson (npgrad/ssl/pretext_lesson.py) it pretrains npgrad.ssl.ConvEncoder for
about 15 s of CPU time, scores the task on test images before and after, and judges the
encoder by a linear probe with 1 % and 100 % of the labels against the untrained encoder.
"""

import numpy as np

from npgrad.lessons import main
from npgrad.ssl import Jigsaw, grid_patches, maximal_hamming_permutations, minimum_hamming_distance
from npgrad.ssl.pretext_lesson import draw_patches, run_pretext_lesson


def draw_jigsaw(method, images, path):
    """Four images with their grid of tiles, and the tiles in the order of a drawn permutation."""
    images = images[:4]
    rng = np.random.default_rng(0)
    tiles, corners = grid_patches(images, method.tile, method.gap, method.jitter, rng)
    labels = rng.integers(0, len(method.permutations), len(images))
    order = method.permutations[labels]
    shuffled = tiles[np.arange(len(images))[:, None], order]
    titles = [f"permutation {label} of {len(method.permutations)}" for label in labels]
    return draw_patches(images, corners, shuffled, titles, path, [[f"tile {t}" for t in row] for row in order])


def run(out_dir, quick=False):
    result = run_pretext_lesson(
        "jigsaw", lambda encoder, seed: Jigsaw(encoder, generator=seed), draw_jigsaw, out_dir, quick, 100
    )
    distance = minimum_hamming_distance(maximal_hamming_permutations(64))
    print(f"the 64 permutations differ pairwise in at least {distance} of the 9 places")
    return {**result, "minimum_hamming_distance": distance}


READ_NEXT = """
the method: npgrad/ssl/jigsaw.py Jigsaw and maximal_hamming_permutations, npgrad/ssl/patches.py grid_patches
pretraining and the probe: npgrad/ssl/method.py pretrain, npgrad/ssl/evaluation.py linear_probe
the lesson's pipeline: npgrad/ssl/pretext_lesson.py run_pretext_lesson
the page: docs/lessons/jigsaw.md
"""

if __name__ == "__main__":
    main(run)
