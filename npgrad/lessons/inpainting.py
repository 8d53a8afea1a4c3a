"""Mask a 12x12 square of each digit, reconstruct it: error inside vs outside the mask.

Inpainting, an autoencoder that fills in what is missing.

A square of 12x12 pixels (a quarter of the digit's box) is blanked at a random place in every
input digit, and a convolutional autoencoder is trained to output the whole, unmasked digit:
the corruption is MaskSquare, a batch_transform of the inputs, so the targets stay whole.
To fill the square it must know what digits look like, because the missing strokes are not in
its input. On test digits with fixed masks the error inside the square (where the network has
to invent) is compared with the error outside (where it only copies), for the masked input
itself, for an autoencoder trained on whole digits, and for the inpainting one.
"""

import os

import numpy as np

from npgrad import manual_seed
from npgrad.analysis.plots import plot_image_rows, pyplot_or_none
from npgrad.datasets import image_arrays
from npgrad.lessons import main
from npgrad.lessons.autoencoder import reconstruct, train_autoencoder
from npgrad.models import ConvAutoencoder, MaskSquare
from npgrad.models.autoencoder import square_masks

CONFIG = {
    "mask_size": 12,
    "bottleneck": 64,
    "epochs": 5,
    "batch_size": 128,
    "lr": 1e-3,
    "seed": 0,
    "train_limit": None,
    "test_limit": 2000,
}
QUICK = {"epochs": 3, "train_limit": 2000, "test_limit": 300, "lr": 3e-3}


def errors_inside_and_outside(output, clean, masks):
    """Mean squared error per pixel inside the masked squares and outside them."""
    squared = (output - clean) ** 2
    return float(squared[masks].mean()), float(squared[~masks].mean())


def run(out_dir, quick=False):
    config = {**CONFIG, **(QUICK if quick else {})}
    train, test = image_arrays("mnist", config["train_limit"], config["test_limit"])
    masks = square_masks(test[0].shape, config["mask_size"], np.random.default_rng(config["seed"] + 1))
    masked_test = np.where(masks, np.float32(0), test[0])
    outputs, rows = {"masked input itself": masked_test}, {}
    for name, corruption in (
        ("trained on whole digits", None),
        ("inpainting: trained on masked digits", MaskSquare(config["mask_size"], generator=config["seed"])),
    ):
        manual_seed(config["seed"])
        model = ConvAutoencoder(bottleneck=config["bottleneck"])
        train_autoencoder(model, train[0], config, config["epochs"], corruption)
        outputs[name] = reconstruct(model, masked_test)
    print(f"MSE per pixel on {len(test[0])} masked test digits    inside the square   outside")
    for name, output in outputs.items():
        inside, outside = errors_inside_and_outside(output, test[0], masks)
        rows[name] = {"inside": inside, "outside": outside}
        print(f"  {name:<38} {inside:17.4f}   {outside:.4f}")
    figure = None
    if pyplot_or_none() is not None:
        figure = plot_image_rows({**outputs, "original": test[0]}, os.path.join(out_dir, "inpainting.png"))
    return {"config": config, "mse": rows, "figure": figure}


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dIm2colFunction
the model and the corruption: npgrad/models/autoencoder.py ConvAutoencoder, MaskSquare and square_masks
the training it shares with the autoencoder lesson: npgrad/lessons/autoencoder.py train_autoencoder
the page: docs/lessons/inpainting.md
"""

if __name__ == "__main__":
    main(run)
