"""Context prediction (Doersch et al., 2015): cut a 3x3 grid of patches from an image and, given
the centre patch and one of its 8 neighbours, say where the neighbour sits (an 8-way
classification). Gaps between the patches and a random jitter of each keep the task from
being solved by lines running on across the border; what is left is knowing how objects are
laid out."""

from __future__ import annotations

import numpy as np

from .. import cat, nn, tensor
from ..nn import functional as F
from ..tensor import Tensor
from ..types import _generator
from .method import SelfSupervised, classification_logs, image_array
from .patches import encode_patches, grid_patches

CENTRE = 4
NEIGHBOURS = (0, 1, 2, 3, 5, 6, 7, 8)  # grid cells row by row; label k = NEIGHBOURS[k]
NEIGHBOUR_NAMES = ("top left", "top", "top right", "left", "right", "bottom left", "bottom", "bottom right")


class ContextPrediction(SelfSupervised):
    """Encoder on every patch, then an MLP on [centre features, neighbour features] -> 8
    positions. Every image gives all 8 (centre, neighbour) pairs, in a shuffled order."""

    def __init__(
        self,
        encoder: nn.Module,
        patch: int = 6,
        gap: int = 3,
        jitter: int = 1,
        hidden: int = 256,
        generator: _generator | None = None,
    ) -> None:
        super().__init__(encoder, generator)
        self.patch, self.gap, self.jitter = patch, gap, jitter
        self.head = nn.Sequential(
            nn.Linear(2 * self.feature_dim, hidden), nn.ReLU(), nn.Linear(hidden, len(NEIGHBOURS))
        )

    def pretext_batch(self, images: Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Patches (N, 9, C, p, p) and, for the pairs, which neighbour each pair shows (N, 8)."""
        patches, _ = grid_patches(image_array(images), self.patch, self.gap, self.jitter, self.rng())
        order = np.argsort(self.rng().random((len(patches), len(NEIGHBOURS))), axis=1)
        return patches, order

    def pretext_loss(self, images: Tensor | np.ndarray) -> tuple[Tensor, dict[str, float]]:
        patches, labels = self.pretext_batch(images)
        features = encode_patches(self.encoder, patches)  # (N, 9, D)
        n, pairs = labels.shape
        neighbours = features[np.arange(n)[:, None], np.asarray(NEIGHBOURS)[labels]]  # (N, 8, D)
        centre = features[:, CENTRE : CENTRE + 1].expand(n, pairs, self.feature_dim)
        logits = self.head(cat([centre, neighbours], dim=2).reshape(n * pairs, -1))
        targets = labels.reshape(-1)
        loss = F.cross_entropy(logits, tensor(targets))
        return loss, classification_logs(loss, logits, targets)
