"""Feature extractors for FID on 28x28 grayscale images: small CNN classifiers trained with
npgrad on MNIST and on Fashion-MNIST, whose penultimate layer (64 ReLU units) gives the
features. Their weights ship in npgrad/metrics/files/ (safetensors, with the test accuracy
and the command that trained them), so FID works offline:

    from npgrad.metrics import fid_images
    fid_images(generated, real, extractor="mnist")     # images in [0, 1], (N, 1, 28, 28)

`python -m npgrad.metrics.train_extractor --dataset mnist` trains them again (fixed seed).
FID from these features is comparable only with FID from the same extractor, never with
InceptionV3 FID figures from papers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn, tensor
from ..autograd import no_grad
from ..io import load
from ..nn.module import eval_mode
from ..tensor import Tensor
from ..types import ArrayLike
from .fid import fid
from .images import as_image_batch, load_image_set

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
EXTRACTORS = ("mnist", "fashion-mnist")
FEATURES = 64


class FeatureCNN(nn.Module):
    """conv 1->16 3x3 (ReLU, max-pool 2) -> conv 16->32 3x3 (ReLU, max-pool 2) -> Linear 1568->64
    (ReLU): the features -> Linear 64->10: the class scores it was trained with."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, FEATURES),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(FEATURES, num_classes)

    def features(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"FeatureCNN: expected images of shape (N, 1, 28, 28) in [0, 1], got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def weights_path(name: str) -> str:
    if name not in EXTRACTORS:
        raise ValueError(f"unknown feature extractor {name!r}; choose from {', '.join(EXTRACTORS)}")
    return os.path.join(FILES, f"{name}_features.safetensors")


class FeatureExtractor:
    """A trained FeatureCNN as a function: images (N, 1, 28, 28) or (N, 28, 28), float in
    [0, 1] or uint8 -> features (N, 64) float64. `info` says how it was trained and its test
    accuracy."""

    def __init__(self, model: FeatureCNN, info: dict[str, Any]) -> None:
        self.model, self.info = model, info

    @classmethod
    def load(cls, name: str = "mnist") -> FeatureExtractor:
        saved = load(weights_path(name))
        model = FeatureCNN()
        model.load_state_dict(saved["model"])
        return cls(model, saved["info"])

    def __call__(self, images: ArrayLike, batch_size: int = 1000) -> np.ndarray:
        return self._in_batches(self.model.features, images, batch_size).astype(np.float64)

    def class_shares(self, images: ArrayLike, batch_size: int = 1000) -> np.ndarray:
        """The share of the images the extractor's own classifier puts in each class (sums to 1):
        a generator that drops modes leaves some classes nearly empty."""
        predicted = self._in_batches(self.model, images, batch_size).argmax(axis=1)
        return np.bincount(predicted, minlength=self.model.classifier.out_features) / len(predicted)

    def _in_batches(self, function: Callable[[Tensor], Tensor], images: ArrayLike, batch_size: int) -> np.ndarray:
        images = as_image_batch(images, "FeatureExtractor")
        with eval_mode(self.model), no_grad():
            parts = [
                function(tensor(images[start : start + batch_size])).numpy()
                for start in range(0, len(images), batch_size)
            ]
        return np.concatenate(parts)


def fid_images(
    images_a: ArrayLike, images_b: ArrayLike, extractor: str | Callable[[np.ndarray], np.ndarray] = "mnist"
) -> float:
    """FID between two image sets through a feature extractor (a name in EXTRACTORS or any
    function images -> (N, D) features, e.g. an InceptionV3 pool layer of your own)."""
    if isinstance(extractor, str):
        extractor = FeatureExtractor.load(extractor)
    return fid(extractor(images_a), extractor(images_b))


def fid_between(
    source_a: str | os.PathLike,
    source_b: str | os.PathLike,
    extractor: str | Callable[[np.ndarray], np.ndarray] = "mnist",
) -> float:
    """FID between two image sets on disk (see images.load_image_set): `npgrad fid A B`."""
    images_a, images_b = load_image_set(source_a), load_image_set(source_b)
    value = fid_images(images_a, images_b, extractor)
    print(
        f"FID {value:.3f}  ({source_a}: {len(images_a)} images, {source_b}: {len(images_b)} images; "
        f"{extractor} feature extractor, {FEATURES} features)"
    )
    return value
