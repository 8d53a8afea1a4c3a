"""SimCLR (Chen et al., 2020): two random augmentations of every image go through the encoder and
a small projection head, and the NT-Xent loss pulls each pair of views together while pushing
them from the other 2N - 2 views in the batch. The encoder learns what survives cropping,
flipping, noise and erasing: the object, not the pixels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import nn, tensor
from ..nn import functional as F
from .augment import STRENGTHS, simclr_augmentation
from ..tensor import Tensor
from ..types import _generator
from .method import SelfSupervised, image_array


def contrastive_accuracy(z1: np.ndarray, z2: np.ndarray) -> float:
    """How often a view's most similar other view (by cosine) is its partner."""
    z = np.concatenate([z1, z2])
    unit = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    partner = (np.arange(len(z)) + len(z1)) % len(z)
    return float(np.mean(np.argmax(similarity, axis=1) == partner))


class SimCLR(SelfSupervised):
    """Encoder + projection head (Linear, ReLU, Linear to projection_dim) on two augmented views,
    loss F.nt_xent(z1, z2, temperature). The head is dropped after pretraining. augmentation: a
    transform of a batch, or the name of a simclr_augmentation preset ("strong", "mild") drawing
    from the method's generator."""

    def __init__(
        self,
        encoder: nn.Module,
        projection_dim: int = 64,
        temperature: float = 0.5,
        augmentation: str | Callable[[np.ndarray], np.ndarray] = "strong",
        generator: _generator | None = None,
    ) -> None:
        super().__init__(encoder, generator)
        if not callable(augmentation) and augmentation not in STRENGTHS:
            raise ValueError(
                f"SimCLR: augmentation must be a transform or one of {', '.join(STRENGTHS)}, got {augmentation!r}"
            )
        self.temperature, self.augmentation = temperature, augmentation
        self.projection = nn.Sequential(
            nn.Linear(self.feature_dim, self.feature_dim), nn.ReLU(), nn.Linear(self.feature_dim, projection_dim)
        )

    def pretext_batch(self, images: Tensor | np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], None]:
        """Two views of every image, (N, C, H, W) each, and no targets: a view's partner is the target."""
        images = image_array(images)
        augment = self.augmentation
        if not callable(augment):
            augment = simclr_augmentation(images.shape[2:], augment, generator=self.rng())
        return (augment(images), augment(images)), None

    def pretext_loss(self, images: Tensor | np.ndarray) -> tuple[Tensor, dict[str, float]]:
        (view1, view2), _ = self.pretext_batch(images)
        z = self.projection(self.encoder(tensor(np.concatenate([view1, view2]))))
        z1, z2 = z[: len(view1)], z[len(view1) :]
        loss = F.nt_xent(z1, z2, self.temperature)
        return loss, {"loss": float(loss.item()), "accuracy": contrastive_accuracy(z1._data, z2._data)}
