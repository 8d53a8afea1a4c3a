"""A 3x3 grid of patches cut from every image, with gaps and jitter: what context prediction and
jigsaw feed their encoder. Cut with one fancy index into a strided view of all windows."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import nn, tensor
from ..tensor import Tensor


def grid_patches(
    images: np.ndarray, patch: int, gap: int, jitter: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 9, C, patch, patch) patches of (N, C, H, W) images, row by row from the top left, and
    their top-left corners (N, 9, 2). Neighbouring cells start patch + gap pixels apart; the
    whole grid sits at a random place, and each patch moves by up to `jitter` pixels each way,
    so patches never touch when gap > 2 * jitter and edges do not continue from one to the next."""
    n, _, height, width = images.shape
    span = 3 * patch + 2 * gap + 2 * jitter
    if span > min(height, width):
        raise ValueError(
            f"grid_patches: 3 patches of {patch} with gaps of {gap} and jitter {jitter} need {span} pixels, "
            f"the images are {height}x{width}"
        )
    cells = np.arange(3) * (patch + gap)
    cell_rows, cell_cols = np.repeat(cells, 3), np.tile(cells, 3)
    origin = rng.integers(0, np.array([height, width]) - span + 1, size=(n, 2)) + jitter  # (N, 2)
    moves = rng.integers(-jitter, jitter + 1, size=(n, 9, 2))
    corners = origin[:, None, :] + np.stack([cell_rows, cell_cols], axis=1)[None] + moves
    windows = sliding_window_view(images, (patch, patch), axis=(2, 3))  # (N, C, rows, cols, p, p)
    cut = windows[np.arange(n)[:, None], :, corners[..., 0], corners[..., 1]]  # (N, 9, C, p, p)
    return np.ascontiguousarray(cut), corners


def encode_patches(encoder: nn.Module, patches: np.ndarray) -> Tensor:
    """Features (N, P, D) of patches (N, P, C, h, w), the encoder run once on all N * P."""
    n, count = patches.shape[:2]
    return encoder(tensor(patches.reshape(n * count, *patches.shape[2:]))).reshape(n, count, -1)
