"""Image transforms for data augmentation, with torchvision's names.

ToTensor turns stored images (uint8, channels last) into float32 channels-first Tensors in
[0, 1]. Every other image transform takes float images, either one image (C, H, W) or a whole
batch (N, C, H, W), as a Tensor or a NumPy array, and returns float32 of the same layout and
kind; Resize and CenterCrop also take stored uint8 images, as torchvision's take PIL images.
Lambda wraps any function of one sample. A random transform draws its
parameters for all images of a batch at once (one crop offset, flip or angle per image) and
applies them with one fancy index, never a Python loop over the images.

Random transforms take `generator`: a numpy Generator, an int seed (the transform keeps its
own Generator, so repeated calls differ but a rerun repeats), or None for npgrad's global
generator (reset by npgrad.manual_seed).

Use them per sample through a dataset's `transform`, or per batch through
DataLoader(..., batch_transform=Compose([...])).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..tensor import Tensor
from ..types import ArrayLike, _generator, _size_2_t
from . import _rng


class Compose:
    """Apply the transforms one after the other."""

    def __init__(self, transforms: Iterable[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, images: Any) -> Any:
        for transform in self.transforms:
            images = transform(images)
        return images

    def __repr__(self) -> str:
        return f"Compose({self.transforms})"


class Lambda:
    """A function of one sample as a transform, e.g. Lambda(lambda x: x.view(-1))."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, sample: Any) -> Any:
        return self.lambd(sample)

    def __repr__(self) -> str:
        return "Lambda()"


def handles_batches(transform: Callable[[Any], Any]) -> bool:
    """Whether `transform` may be given a whole batch at once: ToTensor and the image
    transforms here (and Compose of them) can; a Lambda or a user's function gets one sample."""
    if isinstance(transform, Compose):
        return all(handles_batches(t) for t in transform.transforms)
    return isinstance(transform, (ToTensor, ImageTransform))


class ToTensor:
    """Stored images -> float32 Tensors, channels first: (H, W) or (H, W, C) -> (C, H, W), and a
    batch (N, H, W, C) -> (N, C, H, W). uint8 values are scaled from 0..255 to [0, 1]; float
    values are kept (as float32). As torchvision's ToTensor."""

    def __call__(self, images: ArrayLike) -> Tensor:
        return Tensor(_scaled_channels_first(np.asarray(images)))

    def __repr__(self) -> str:
        return "ToTensor()"


def _scaled_channels_first(images: np.ndarray) -> np.ndarray:
    """uint8 (H, W), (H, W, C) or (N, H, W, C) -> float32 (C, H, W) or (N, C, H, W) in [0, 1]."""
    if images.ndim == 2:
        images = images[:, :, None]
    if images.ndim not in (3, 4) or images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            "ToTensor: expected an image (H, W) or (H, W, C), or a batch (N, H, W, C), with C "
            f"in 1, 3, 4; got shape {images.shape} (for a batch of grayscale images (N, H, W), "
            "add a channel axis: images[..., None])"
        )
    channels_first = np.moveaxis(images, -1, -3)
    if images.dtype == np.uint8:
        return np.divide(channels_first, 255, dtype=np.float32)
    return channels_first.astype(np.float32)


class ImageTransform:
    """Base class: subclasses define transform_batch(batch) for a float32 batch (N, C, H, W);
    calling the transform also accepts a single image (C, H, W). Geometric transforms
    (on_stored_images) also take stored images, uint8 (H, W, C) or (N, H, W, C), and return
    them so, as torchvision's take PIL images before ToTensor()."""

    on_stored_images = False

    def __call__(self, images: Tensor | ArrayLike) -> Tensor | np.ndarray:
        if isinstance(images, Tensor):
            return Tensor(self(images._data))
        images = np.asarray(images)
        if images.dtype == np.uint8 and self.on_stored_images:
            return self._on_stored(images)
        if images.dtype.kind != "f":
            raise TypeError(
                f"{type(self).__name__}: expected float images, got dtype {images.dtype} "
                "(convert stored images with ToTensor() first)"
            )
        if images.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__}: expected an image (C, H, W) or a batch (N, C, H, W), got shape {images.shape}"
            )
        batch = images.astype(np.float32, copy=False)
        if images.ndim == 3:
            return self.transform_batch(batch[None])[0]
        return self.transform_batch(batch)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _on_stored(self, images: np.ndarray) -> np.ndarray:
        """uint8 channels last -> float channels first -> transform -> rounded uint8 channels last."""
        channels_first = np.moveaxis(images, -1, -3).astype(np.float32)
        out = self(channels_first)
        return np.moveaxis(np.clip(np.round(out), 0, 255).astype(np.uint8), -3, -1)


class Normalize(ImageTransform):
    """(x - mean) / std per channel. `inplace` is accepted for torchvision compatibility; the
    result is always new."""

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float, inplace: bool = False) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if len(self.mean) != len(self.std):
            raise ValueError(f"Normalize: mean has {len(self.mean)} channels, std {len(self.std)}")
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must not be zero, got {self.std.tolist()}")

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        channels = batch.shape[1]
        if len(self.mean) not in (1, channels):
            raise ValueError(f"Normalize: mean/std are for {len(self.mean)} channels, the images have {channels}")
        return (batch - self.mean[:, None, None]) / self.std[:, None, None]

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomCrop(ImageTransform):
    """Pad by `padding` (with `fill`), then cut a random `size` window from each image.

    size: an int (square) or (height, width); None keeps the input's size, which makes the
        crop a random shift by up to `padding` pixels.
    padding: an int for every side, (left/right, top/bottom), or (left, top, right, bottom).
    """

    def __init__(
        self, size: _size_2_t, padding: int | Sequence[int] = 0, fill: float = 0.0, generator: _generator | None = None
    ) -> None:
        self.size = None if size is None else _pair(size, "RandomCrop size")
        self.padding = _padding(padding)
        self.fill = fill
        self.generator = _rng.seeded(generator)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        padded = _pad(batch, self.padding, self.fill)
        height, width = self.size or batch.shape[2:]
        free_rows, free_cols = padded.shape[2] - height, padded.shape[3] - width
        if free_rows < 0 or free_cols < 0:
            raise ValueError(
                f"{type(self).__name__}: crop size {(height, width)} is larger than the padded image {padded.shape[2:]}"
            )
        rng = _rng.current(self.generator)
        top = rng.integers(0, free_rows + 1, size=len(batch))
        left = rng.integers(0, free_cols + 1, size=len(batch))
        return crop(padded, top, left, height, width)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomShift(RandomCrop):
    """Move each image by a random whole number of pixels, up to `max_shift` in each
    direction; the uncovered border is filled with `fill`."""

    def __init__(self, max_shift: int, fill: float = 0.0, generator: _generator | None = None) -> None:
        super().__init__(None, padding=max_shift, fill=fill, generator=generator)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.padding[0]})"


class RandomHorizontalFlip(ImageTransform):
    """Mirror each image left-right with probability p."""

    def __init__(self, p: float = 0.5, generator: _generator | None = None) -> None:
        self.p = p
        self.generator = _rng.seeded(generator)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        flip = _rng.current(self.generator).random(len(batch)) < self.p
        return np.where(flip[:, None, None, None], batch[..., ::-1], batch)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomAffine(ImageTransform):
    """A random rotation, shift and zoom of each image, sampled bilinearly; pixels that come
    from outside the image get `fill`.

    degrees: the angle is uniform in (-degrees, degrees), or in (min, max) if a pair;
        positive turns the image counter-clockwise as displayed.
    translate: (a, b): horizontal shift uniform in (-a * width, a * width), vertical in
        (-b * height, b * height), rounded to whole pixels (as torchvision does).
    scale: (min, max): zoom factor uniform in that range.
    """

    def __init__(
        self,
        degrees: float | tuple[float, float] = 0.0,
        translate: tuple[float, float] | None = None,
        scale: tuple[float, float] | None = None,
        fill: float = 0.0,
        generator: _generator | None = None,
    ) -> None:
        self.degrees = (-degrees, degrees) if np.isscalar(degrees) else tuple(degrees)
        self.translate = translate
        self.scale = scale
        self.fill = fill
        self.generator = _rng.seeded(generator)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        n, _, height, width = batch.shape
        rng = _rng.current(self.generator)
        angle = np.deg2rad(rng.uniform(*self.degrees, size=n))
        shift_x, shift_y = np.zeros(n), np.zeros(n)
        if self.translate is not None:
            shift_x = np.round(rng.uniform(-1, 1, size=n) * self.translate[0] * width)
            shift_y = np.round(rng.uniform(-1, 1, size=n) * self.translate[1] * height)
        zoom = rng.uniform(*self.scale, size=n) if self.scale is not None else np.ones(n)
        source_y, source_x = _inverse_affine(height, width, angle, shift_x, shift_y, zoom)
        return bilinear_sample(batch, source_y, source_x, self.fill)

    def __repr__(self) -> str:
        return f"RandomAffine(degrees={self.degrees}, translate={self.translate}, scale={self.scale})"


class RandomResizedCrop(ImageTransform):
    """Cut a random box from each image, its area a fraction of the image uniform in `scale`
    and its aspect ratio (width / height) log-uniform in `ratio`, and resize it to `size` (an
    int for a square, or (height, width)) by bilinear sampling. A box too big for the image
    is clipped to it (torchvision redraws, then falls back to a centre crop)."""

    def __init__(
        self,
        size: _size_2_t,
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3 / 4, 4 / 3),
        generator: _generator | None = None,
    ) -> None:
        self.size = _pair(size, "RandomResizedCrop size")
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.generator = _rng.seeded(generator)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        n, _, height, width = batch.shape
        rng = _rng.current(self.generator)
        box_h, box_w = _random_boxes(rng, n, height, width, self.scale, self.ratio)
        top, left = rng.uniform(0, height - box_h), rng.uniform(0, width - box_w)
        out_h, out_w = self.size
        y = top[:, None] + (np.arange(out_h) + 0.5) / out_h * box_h[:, None] - 0.5  # output pixel centres
        x = left[:, None] + (np.arange(out_w) + 0.5) / out_w * box_w[:, None] - 0.5
        grid_y = np.broadcast_to(y[:, :, None], (n, out_h, out_w))
        grid_x = np.broadcast_to(x[:, None, :], (n, out_h, out_w))
        return bilinear_sample(batch, grid_y, grid_x, 0.0)

    def __repr__(self) -> str:
        return f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio})"


class RandomErasing(ImageTransform):
    """With probability p, set a random box of each image to `value`: its area a fraction of
    the image uniform in `scale`, its aspect ratio log-uniform in `ratio`, clipped to the image.
    `inplace` is accepted for torchvision compatibility; the result is always new."""

    def __init__(
        self,
        p: float = 0.5,
        scale: tuple[float, float] = (0.02, 0.33),
        ratio: tuple[float, float] = (0.3, 3.3),
        value: float = 0.0,
        inplace: bool = False,
        generator: _generator | None = None,
    ) -> None:
        self.p, self.scale, self.ratio, self.value = p, tuple(scale), tuple(ratio), value
        self.generator = _rng.seeded(generator)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        n, _, height, width = batch.shape
        rng = _rng.current(self.generator)
        box_h, box_w = (
            np.round(side).astype(np.int64) for side in _random_boxes(rng, n, height, width, self.scale, self.ratio)
        )
        top = (rng.random(n) * (height - box_h + 1)).astype(np.int64)[:, None]
        left = (rng.random(n) * (width - box_w + 1)).astype(np.int64)[:, None]
        rows, cols = np.arange(height)[None], np.arange(width)[None]
        in_rows = (rows >= top) & (rows < top + box_h[:, None])  # (N, H)
        in_cols = (cols >= left) & (cols < left + box_w[:, None])  # (N, W)
        erase = (rng.random(n) < self.p)[:, None, None] & in_rows[:, :, None] & in_cols[:, None, :]
        return np.where(erase[:, None], np.float32(self.value), batch)

    def __repr__(self) -> str:
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value})"


def _random_boxes(
    rng: np.random.Generator,
    n: int,
    height: int,
    width: int,
    scale: tuple[float, float],
    ratio: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Per image a box of area scale * H * W and aspect ratio (w / h) log-uniform in ratio,
    clipped to the image: (heights, widths) as floats."""
    area = rng.uniform(*scale, n) * height * width
    aspect = np.exp(rng.uniform(*np.log(ratio), n))
    return np.clip(np.sqrt(area / aspect), 1, height), np.clip(np.sqrt(area * aspect), 1, width)


class CenterCrop(ImageTransform):
    """The central `size` window (an int for a square, or (height, width)); an image smaller
    than that is first padded with zeros on both sides, as torchvision does."""

    on_stored_images = True

    def __init__(self, size: _size_2_t) -> None:
        self.size = _pair(size, "CenterCrop size")

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        (height, width), (rows, cols) = self.size, batch.shape[2:]
        pad_rows, pad_cols = max(height - rows, 0), max(width - cols, 0)
        padded = _pad(batch, (pad_cols // 2, pad_rows // 2, (pad_cols + 1) // 2, (pad_rows + 1) // 2), 0.0)
        top = int(round((padded.shape[2] - height) / 2.0))
        left = int(round((padded.shape[3] - width) / 2.0))
        return padded[:, :, top : top + height, left : left + width]

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class Resize(ImageTransform):
    """Resize with bilinear interpolation, antialiased when shrinking (torchvision's default
    for tensors). size: (height, width), or an int for the smaller edge, the longer one
    keeping the aspect ratio (int(size * long / short))."""

    on_stored_images = True

    def __init__(self, size: _size_2_t, antialias: bool = True) -> None:
        if isinstance(size, (tuple, list)) and len(size) == 1:
            size = size[0]
        self.size = size if np.isscalar(size) else _pair(size, "Resize size")
        self.antialias = antialias

    def output_size(self, rows: int, cols: int) -> tuple[int, int]:
        if not np.isscalar(self.size):
            return self.size
        short, long = sorted((rows, cols))
        other = int(self.size * long / short)
        return (self.size, other) if rows <= cols else (other, self.size)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        height, width = self.output_size(*batch.shape[2:])
        rows = _resize_weights(batch.shape[2], height, self.antialias)  # (height, H)
        cols = _resize_weights(batch.shape[3], width, self.antialias)  # (width, W)
        return np.einsum("ih,nchw,jw->ncij", rows, batch, cols, optimize=True).astype(np.float32)

    def __repr__(self) -> str:
        return f"Resize(size={self.size}, antialias={self.antialias})"


def _resize_weights(size_in: int, size_out: int, antialias: bool) -> np.ndarray:
    """(size_out, size_in) weights of 1-D bilinear resampling, pixel centres aligned
    (align_corners=False). Shrinking by s with antialias widens the triangle filter to s
    input pixels on each side (PIL's and PyTorch's antialiased bilinear)."""
    scale = size_in / size_out
    support = scale if antialias and scale > 1 else 1.0
    centres = (np.arange(size_out) + 0.5) * scale
    if support == 1.0:  # plain bilinear: the source point, clamped to the image, between two pixels
        source = np.clip(centres - 0.5, 0, size_in - 1)
        weights = np.maximum(0.0, 1.0 - np.abs(source[:, None] - np.arange(size_in)[None, :]))
    else:
        first = np.maximum((centres - support + 0.5).astype(np.int64), 0)
        last = np.minimum((centres + support + 0.5).astype(np.int64), size_in)
        pixels = np.arange(size_in)[None, :]
        inside = (pixels >= first[:, None]) & (pixels < last[:, None])
        weights = np.maximum(0.0, 1.0 - np.abs((pixels - centres[:, None] + 0.5) / support)) * inside
    return weights / weights.sum(axis=1, keepdims=True)


def crop(batch: np.ndarray, top: np.ndarray, left: np.ndarray, height: int, width: int) -> np.ndarray:
    """Each image's height x width window at (top[i], left[i]), gathered with one fancy index
    into a strided view of all windows."""
    windows = sliding_window_view(batch, (height, width), axis=(2, 3))  # (N, C, rows, cols, h, w)
    return windows[np.arange(len(batch)), :, top, left]


def bilinear_sample(batch: np.ndarray, y: np.ndarray, x: np.ndarray, fill: float) -> np.ndarray:
    """out[n, c, i, j] = batch[n, c] interpolated at (y[n, i, j], x[n, i, j]); outside -> fill."""
    padded = _pad(batch, (1, 1, 1, 1), fill)  # a border of `fill`: outside points land on it
    height, width = batch.shape[2:]
    y0, x0 = np.floor(y), np.floor(x)
    wy, wx = (y - y0).astype(np.float32), (x - x0).astype(np.float32)
    images = np.arange(len(batch))[:, None, None]

    def pixels(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:  # (N, H, W, C), indices shifted by the 1-pixel border
        rows = np.clip(rows, -1, height).astype(np.int64) + 1
        cols = np.clip(cols, -1, width).astype(np.int64) + 1
        return padded[images, :, rows, cols]

    top = pixels(y0, x0) * (1 - wx)[..., None] + pixels(y0, x0 + 1) * wx[..., None]
    bottom = pixels(y0 + 1, x0) * (1 - wx)[..., None] + pixels(y0 + 1, x0 + 1) * wx[..., None]
    out = top * (1 - wy)[..., None] + bottom * wy[..., None]
    return np.ascontiguousarray(np.moveaxis(out, -1, 1))


def _inverse_affine(
    height: int, width: int, angle: np.ndarray, shift_x: np.ndarray, shift_y: np.ndarray, zoom: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For every output pixel of every image, where to read it from: the output is the input
    rotated by `angle` and zoomed about the centre, then shifted; so undo those in reverse."""
    cy, cx = (height - 1) / 2, (width - 1) / 2
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    dy = (rows - cy - shift_y[:, None, None]) / zoom[:, None, None]
    dx = (cols - cx - shift_x[:, None, None]) / zoom[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    return sin * dx + cos * dy + cy, cos * dx - sin * dy + cx


def _pad(batch: np.ndarray, padding: tuple[int, int, int, int], fill: float) -> np.ndarray:
    left, top, right, bottom = padding
    if not any(padding):
        return batch
    return np.pad(batch, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)


def _pair(value: _size_2_t, name: str) -> tuple[int, int]:
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v <= 0 for v in pair):
        raise ValueError(f"{name}: expected a positive int or (height, width), got {value!r}")
    return tuple(int(v) for v in pair)


def _padding(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """int | (left/right, top/bottom) | (left, top, right, bottom) -> (left, top, right, bottom)."""
    values = (padding,) * 4 if np.isscalar(padding) else tuple(padding)
    if len(values) == 2:
        values = values * 2
    if len(values) != 4 or any(int(v) != v or v < 0 for v in values):
        raise ValueError(f"padding: expected a non-negative int or a tuple of 2 or 4, got {padding!r}")
    return tuple(int(v) for v in values)
