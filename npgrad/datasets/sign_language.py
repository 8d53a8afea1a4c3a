"""Sign Language MNIST: 28x28 grayscale photos of American Sign Language letters (Kaggle,
tecperson/datamunge; CC0), 27,455 for training and 7,172 for testing, as CSV files."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from . import storage
from .vision import ImageClassificationDataset

_LETTERS = "ABCDEFGHIKLMNOPQRSTUVWXY"  # J and Z need motion, so the set has no images of them


class SignLanguageMNIST(ImageClassificationDataset):
    """24 static letters of the ASL alphabet.

    Reads <root>/sign-language-mnist/sign_mnist_{train,test}.csv.gz (or the .csv from Kaggle).
    The files label the letters 0..24 by their place in the alphabet, skipping 9 (J); the
    targets here are 0..23 (y24 = y - (y > 9)), so a 24-way softmax fits, and classes[t] is
    the letter. See ImageClassificationDataset for items, transforms and arrays().
    """

    folder = "sign-language-mnist"
    sha256 = {  # of the decompressed CSV files, as Kaggle serves them
        "sign_mnist_train.csv.gz": "4c2897f19fab2b0ae2a7e4fa82e969043315d9f3a1a9cc0948b576bf1189a7e5",
        "sign_mnist_test.csv.gz": "0e9d67bae23e67f40728e0b63bf15ad4bd5175947b8a9fac5dd9f17ce133c47b",
    }
    source = "from Kaggle's 'Sign Language MNIST' (datamunge/sign-language-mnist; the plain .csv works too)"
    classes = list(_LETTERS)

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        download: bool = True,
    ) -> None:
        name = f"sign_mnist_{'train' if train else 'test'}.csv.gz"
        file = storage.DataFile(self.folder, name, self.sha256[name], source=self.source)
        path = storage.locate(file, root, download)
        images, labels = storage.load(path, file.sha256, _read_csv)
        super().__init__(images, labels, train, transform, target_transform)


def _read_csv(contents):
    """label,pixel1,...,pixel784 rows -> images (N, 28, 28) uint8 and 24-class labels int64."""
    header = contents[: contents.index(b"\n")].decode("ascii").strip().split(",")
    if header[0] != "label" or len(header) != 1 + 28 * 28:
        raise ValueError(
            f"expected the header label,pixel1,...,pixel784, got {len(header)} columns starting {header[:3]}"
        )
    table = np.loadtxt(io.BytesIO(contents), delimiter=",", skiprows=1, dtype=np.uint8, ndmin=2)
    labels = table[:, 0].astype(np.int64)
    if np.any(labels == 9) or np.any(labels > 24):
        raise ValueError("labels must be 0..24 without 9 (J)")
    return np.ascontiguousarray(table[:, 1:]).reshape(-1, 28, 28), labels - (labels > 9)
