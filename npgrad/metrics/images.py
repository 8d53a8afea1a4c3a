"""Images as arrays and files: grids of samples as PNG, and image sets read for FID from a
folder of PNGs, an .npz file or a run folder's samples.npz. Arrays are float32 (N, 1, H, W)
in [0, 1] (generators' [-1, 1] output is mapped with to_unit_range)."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from ..analysis.plots import pyplot
from ..autograd import no_grad
from ..nn.module import Module, eval_mode
from ..train.callbacks import Callback
from ..train.trainer import Trainer
from ..types import ArrayLike

SAMPLES_FILE = "samples.npz"


def to_unit_range(images: ArrayLike) -> np.ndarray:
    """[-1, 1] (tanh outputs) -> [0, 1]."""
    return (np.asarray(images, dtype=np.float32) + 1) / 2


def image_grid(images: ArrayLike, columns: int = 8, padding: int = 2) -> np.ndarray:
    """(N, 1, H, W), (N, H, W) or flattened square (N, H*H) images -> one 2-D array, `columns`
    per row, with padding."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), side, side)
    images = images.reshape(len(images), *images.shape[-2:])
    n, height, width = images.shape
    rows = -(-n // columns)
    grid = np.ones((rows * (height + padding) + padding, columns * (width + padding) + padding), np.float32)
    for index, image in enumerate(images):
        top, left = padding + (index // columns) * (height + padding), padding + (index % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def save_image_grid(
    images: ArrayLike, path: str | os.PathLike, columns: int = 8, title: str | None = None
) -> str | os.PathLike:
    """Write images in [0, 1] as one PNG grid; returns path."""
    plt = pyplot()
    grid = image_grid(np.clip(images, 0, 1), columns)
    fig = plt.figure(figsize=(grid.shape[1] / 40, grid.shape[0] / 40 + (0.3 if title else 0)))
    ax = fig.add_axes((0, 0, 1, 1 if not title else 0.92))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=8)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def as_image_batch(images: ArrayLike, source: str | os.PathLike) -> np.ndarray:
    """(N, H, W) or (N, 1, H, W) arrays, uint8 0-255 or float 0-1 -> float32 (N, 1, H, W)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"{source}: expected grayscale images (N, H, W) or (N, 1, H, W), got shape {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255
    return images.astype(np.float32)


def read_png_folder(folder: str | os.PathLike) -> np.ndarray:
    """Every .png in folder (sorted by name), as grayscale float32 (N, 1, H, W) in [0, 1]."""
    import matplotlib.image

    names = sorted(name for name in os.listdir(folder) if name.lower().endswith(".png"))
    if not names:
        raise ValueError(f"{folder}: no .png images in this folder")
    images = [matplotlib.image.imread(os.path.join(folder, name)) for name in names]
    shapes = {image.shape[:2] for image in images}
    if len(shapes) > 1:
        raise ValueError(f"{folder}: the images differ in size ({sorted(shapes)})")
    gray = [image if image.ndim == 2 else image[..., :3].mean(axis=-1) for image in images]
    return as_image_batch(np.stack(gray).astype(np.float32), folder)


def read_npz(path: str | os.PathLike) -> np.ndarray:
    """The images in an .npz: its array named 'images', or its only array."""
    with np.load(path) as arrays:
        names = list(arrays.files)
        if "images" in names:
            return as_image_batch(arrays["images"], path)
        if len(names) != 1:
            raise ValueError(f"{path}: expected an array named 'images' or a single array, found {names}")
        return as_image_batch(arrays[names[0]], path)


def load_image_set(source: str) -> np.ndarray:
    """Images for FID from a folder of PNGs, an .npz file, or a run folder holding samples.npz."""
    if os.path.isdir(source):
        samples = os.path.join(source, SAMPLES_FILE)
        return read_npz(samples) if os.path.exists(samples) else read_png_folder(source)
    if source.endswith(".npz") and os.path.exists(source):
        return read_npz(source)
    raise FileNotFoundError(
        f"{source}: expected a folder of .png images, a run folder with {SAMPLES_FILE}, or an .npz file"
    )


class SampleGrids(Callback):
    """After every epoch, save make_images(trainer.model) (images in [0, 1]) as one PNG grid,
    folder/epoch_001.png, epoch_002.png, ... (the model in eval mode, without gradients)."""

    def __init__(
        self, folder: str | os.PathLike, make_images: Callable[[Module], ArrayLike], columns: int = 10
    ) -> None:
        self.folder, self.make_images, self.columns = folder, make_images, columns
        self.paths: list[str | os.PathLike] = []

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        os.makedirs(self.folder, exist_ok=True)
        with eval_mode(trainer.model), no_grad():
            images = self.make_images(trainer.model)
        path = os.path.join(self.folder, f"epoch_{epoch + 1:03d}.png")
        self.paths.append(save_image_grid(images, path, self.columns, title=f"epoch {epoch + 1}"))
