"""MNIST and Fashion-MNIST: 28x28 grayscale images in 10 classes, 60,000 for training and
10,000 for testing, stored as gzipped IDX files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import storage
from .vision import ImageClassificationDataset


class MNIST(ImageClassificationDataset):
    """Handwritten digits (Y. LeCun, C. Cortes, C. Burges; CC BY-SA 3.0).

    Reads <root>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz (or the uncompressed
    files) from the data root (the `root` argument, else $NPGRAD_DATA, else ~/.cache/npgrad);
    when they are not there it uses the copy that ships inside npgrad, so it needs no network.
    See ImageClassificationDataset for what items, transforms and arrays() give.
    """

    folder = "mnist"
    mirror = "https://ossci-datasets.s3.amazonaws.com/mnist/"
    bundled: Path | None = Path(__file__).parent / "files" / "mnist"
    sha256 = {  # of the uncompressed IDX files, the official ones
        "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        download: bool = True,
    ) -> None:
        split = "train" if train else "t10k"
        images = self._read(f"{split}-images-idx3-ubyte.gz", root, download, _read_images)
        labels = self._read(f"{split}-labels-idx1-ubyte.gz", root, download, _read_labels)
        super().__init__(images, labels, train, transform, target_transform)

    def _read(
        self, name: str, root: str | os.PathLike | None, download: bool, parse: Callable[[bytes], np.ndarray]
    ) -> np.ndarray:
        file = storage.DataFile(self.folder, name, self.sha256[name], self.mirror + name)
        path = storage.locate(file, root, download, self.bundled)
        return storage.load(path, file.sha256, parse)


class FashionMNIST(MNIST):
    """Zalando's article images (Fashion-MNIST, MIT license), a drop-in for MNIST that is
    harder to classify. Reads <root>/fashion-mnist/ the same way; there is no bundled copy."""

    folder = "fashion-mnist"
    mirror = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    bundled = None
    sha256 = {
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def image_arrays(
    dataset: str = "mnist", train_limit: int | None = None, test_limit: int | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train images, train labels), (test images, test labels) of "mnist" or "fashion-mnist":
    float32 (N, 1, 28, 28) in [0, 1] and int64 labels, the first train_limit / test_limit of each."""
    if dataset not in IMAGE_DATASETS:
        raise ValueError(f"image_arrays: dataset must be one of {', '.join(IMAGE_DATASETS)}, got {dataset!r}")
    (x, y), (x_test, y_test) = (IMAGE_DATASETS[dataset](train=split).arrays() for split in (True, False))
    return (x[:train_limit], y[:train_limit]), (x_test[:test_limit], y_test[:test_limit])


IMAGE_DATASETS = {"mnist": MNIST, "fashion-mnist": FashionMNIST}


def _read_images(contents: bytes) -> np.ndarray:
    images = storage.read_idx(contents)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images (N, H, W), got {images.dtype} {images.shape}")
    return images


def _read_labels(contents: bytes) -> np.ndarray:
    labels = storage.read_idx(contents)
    if labels.ndim != 1:
        raise ValueError(f"expected labels (N,), got shape {labels.shape}")
    return labels.astype(np.int64)
