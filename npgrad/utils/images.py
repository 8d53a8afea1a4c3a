"""make_grid and save_image with torchvision.utils' arguments and layout."""

from __future__ import annotations

import math
import os
from typing import IO

import numpy as np

from ..tensor import Tensor


def make_grid(
    tensor: Tensor | list[Tensor] | tuple[Tensor, ...],
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """A batch of images (B, C, H, W), or a list of (C, H, W) images, laid out in rows of
    `nrow` with `padding` pixels of `pad_value` around each: a (3 or C, rows * (H + padding) +
    padding, nrow' * (W + padding) + padding) Tensor, nrow' = min(nrow, B). One-channel images
    become three (gray RGB), as in torchvision. normalize: map value_range (default: the
    batch's min and max, or each image's with scale_each) to [0, 1], clamping outside it."""
    batch = _as_batch(tensor)
    if normalize:
        batch = _normalized(batch, value_range, scale_each)
    if len(batch) == 1:
        return Tensor(batch[0])
    count, channels, height, width = batch.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    cell_height, cell_width = height + padding, width + padding
    grid = np.full(
        (channels, rows * cell_height + padding, columns * cell_width + padding), pad_value, dtype=batch.dtype
    )
    for k, image in enumerate(batch):
        top, left = (k // columns) * cell_height + padding, (k % columns) * cell_width + padding
        grid[:, top : top + height, left : left + width] = image
    return Tensor(grid)


def save_image(
    tensor: Tensor | list[Tensor] | tuple[Tensor, ...],
    fp: str | os.PathLike | IO[bytes],
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
    format: str | None = None,
) -> None:
    """Write make_grid(tensor, ...) as an 8-bit image (PNG unless fp or `format` says
    otherwise), pixel = clamp(round(255 · value), 0, 255), as torchvision does."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_image needs Pillow (it comes with matplotlib): pip install 'npgrad[plot]'") from None
    grid = make_grid(
        tensor,
        nrow=nrow,
        padding=padding,
        normalize=normalize,
        value_range=value_range,
        scale_each=scale_each,
        pad_value=pad_value,
    )._data
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(pixels).save(fp, format=format)


def _as_batch(tensor):
    """(B, C, H, W) float array from a Tensor (4-D, or a single 3-D / 2-D image) or a list of
    (C, H, W) Tensors; one channel repeated to three."""
    if isinstance(tensor, (list, tuple)):
        if not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError("make_grid: expected a Tensor or a list of Tensors")
        batch = np.stack([t._data for t in tensor])
    elif isinstance(tensor, Tensor):
        batch = tensor._data
    else:
        raise TypeError(f"make_grid: expected a Tensor or a list of Tensors, got {type(tensor).__name__}")
    if batch.ndim == 2:
        batch = batch[None]
    if batch.ndim == 3:
        batch = batch[None]
    if batch.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), (C, H, W) or (H, W), got shape {batch.shape}")
    if batch.shape[1] == 1:
        batch = np.repeat(batch, 3, axis=1)
    return batch


def _normalized(batch, value_range, scale_each):
    """(clamp(x, low, high) - low) / max(high - low, 1e-5), over the batch or per image."""
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("make_grid: value_range has to be a tuple (min, max) if specified")
    images = batch if scale_each else batch[None]
    scaled = [_scaled(image, *(value_range or (image.min(), image.max()))) for image in images]
    return np.stack(scaled) if scale_each else scaled[0]


def _scaled(x, low, high):
    return ((np.clip(x, low, high) - low) / max(float(high) - float(low), 1e-5)).astype(x.dtype)
