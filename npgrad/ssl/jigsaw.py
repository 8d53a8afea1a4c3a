"""Jigsaw puzzles (Noroozi & Favaro, 2016): cut an image into a 3x3 grid of tiles, shuffle them by
one permutation out of a fixed set, and say which permutation it was. The set is chosen so that
its permutations differ in as many places as possible (maximal Hamming distance), so no two
are easily confused; each tile is a random crop inside its cell, so the gaps between them hide
the edges that would give the answer away."""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from .. import nn, tensor
from ..nn import functional as F
from ..tensor import Tensor
from ..types import _generator
from .method import SelfSupervised, classification_logs, image_array
from .patches import encode_patches, grid_patches


@lru_cache(maxsize=8)
def _all_permutations(size):
    return np.array(list(itertools.permutations(range(size))), dtype=np.int8)


def maximal_hamming_permutations(count: int, size: int = 9, seed: int = 0) -> np.ndarray:
    """`count` permutations of range(size), chosen greedily (Noroozi & Favaro's algorithm): a
    random first one, then each time the permutation whose smallest Hamming distance to those
    already chosen is largest. Returns (count, size) int64."""
    if not 1 <= count <= 1000 or not 2 <= size <= 9:
        raise ValueError(
            f"maximal_hamming_permutations: expected 1 <= count <= 1000 and 2 <= size <= 9, got {count}, {size}"
        )
    every = _all_permutations(size)
    if count > len(every):
        raise ValueError(f"maximal_hamming_permutations: only {len(every)} permutations of {size} exist, asked {count}")
    chosen = [int(np.random.default_rng(seed).integers(len(every)))]
    nearest = np.full(len(every), size + 1)
    for _ in range(count - 1):
        nearest = np.minimum(nearest, (every != every[chosen[-1]]).sum(axis=1))
        chosen.append(int(np.argmax(nearest)))
    return every[chosen].astype(np.int64)


def minimum_hamming_distance(permutations: np.ndarray) -> int:
    """The smallest number of places in which two permutations of the set differ."""
    differ = (permutations[:, None, :] != permutations[None, :, :]).sum(axis=2)
    return int(differ[~np.eye(len(permutations), dtype=bool)].min())


class Jigsaw(SelfSupervised):
    """Encoder on each tile (a tile x tile crop inside each of the 3x3 cells), the 9 feature
    vectors concatenated in shuffled order, an MLP -> which of the permutations shuffled them.

    Tiles start tile + gap pixels apart and each moves by up to `jitter`: on 28x28 images, 7x7
    tiles 2 pixels apart (0 to 4 after the jitter), as the paper cuts 64-pixel tiles from 75-pixel cells."""

    def __init__(
        self,
        encoder: nn.Module,
        permutations: int = 64,
        tile: int = 7,
        gap: int = 2,
        jitter: int = 1,
        hidden: int = 512,
        generator: _generator | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(encoder, generator)
        self.permutations = maximal_hamming_permutations(permutations, 9, seed)
        self.tile, self.gap, self.jitter = tile, gap, jitter
        self.head = nn.Sequential(nn.Linear(9 * self.feature_dim, hidden), nn.ReLU(), nn.Linear(hidden, permutations))

    def pretext_batch(self, images: Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shuffled tiles (N, 9, C, t, t): position k shows tile permutations[label][k]; labels (N,)."""
        tiles, _ = grid_patches(image_array(images), self.tile, self.gap, self.jitter, self.rng())
        labels = self.rng().integers(0, len(self.permutations), len(tiles))
        return tiles[np.arange(len(tiles))[:, None], self.permutations[labels]], labels

    def pretext_loss(self, images: Tensor | np.ndarray) -> tuple[Tensor, dict[str, float]]:
        tiles, labels = self.pretext_batch(images)
        logits = self.head(encode_patches(self.encoder, tiles).reshape(len(tiles), -1))
        loss = F.cross_entropy(logits, tensor(labels))
        return loss, classification_logs(loss, logits, labels)
