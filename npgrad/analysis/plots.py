"""Figures for the lessons (matplotlib, an optional dependency: pip install npgrad[plot])."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..types import ArrayLike


def pyplot() -> Any:
    """matplotlib.pyplot with a file-only backend, or an ImportError that says how to get it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plots need matplotlib: pip install 'npgrad[plot]'") from error
    return plt


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 120) -> str | os.PathLike:
    """Lay out, write to path and close the figure; returns path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def pyplot_or_none() -> Any:
    """pyplot, or None after saying that figures are skipped because matplotlib is missing."""
    try:
        return pyplot()
    except ImportError as error:
        print(f"(no figures: {error})")
        return None


def decision_grid(
    predict: Callable[[np.ndarray], ArrayLike], low: float = -0.5, high: float = 1.5, steps: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate predict(points (n, 2) float32 array) -> scores (n,) on a square grid."""
    axis = np.linspace(low, high, steps, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    scores = predict(np.stack([xx.ravel(), yy.ravel()], axis=1))
    return xx, yy, np.asarray(scores).reshape(xx.shape)


def plot_decision_boundaries(
    panels: Sequence[tuple[str, Callable[[np.ndarray], ArrayLike], np.ndarray, np.ndarray]],
    path: str | os.PathLike,
    columns: int,
) -> str | os.PathLike:
    """One panel per (title, predict, inputs, targets): the predicted class as colour and the
    decision boundary (score 0.5) as a line, with the data points on top."""
    plt = pyplot()
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.0 * rows), squeeze=False)
    for ax, (title, predict, inputs, targets) in zip(axes.ravel(), panels):
        xx, yy, scores = decision_grid(predict)
        ax.contourf(xx, yy, scores, levels=[-np.inf, 0.5, np.inf], colors=["#f4cccc", "#cfe2f3"])
        ax.contour(xx, yy, scores, levels=[0.5], colors="k", linewidths=1)
        ax.scatter(inputs[:, 0], inputs[:, 1], c=targets, cmap="bwr_r", edgecolors="k", s=70, vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    return save_figure(fig, path)


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    path: str | os.PathLike,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str | None = None,
    logy: bool = False,
) -> str | os.PathLike:
    """Several named curves {label: values} on one axis."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_history(
    history: Mapping[str, Sequence[float]], path: str | os.PathLike, title: str | None = None
) -> str | os.PathLike:
    """Loss and accuracy per epoch, training and validation side by side (a History's dict)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for prefix, style in (("", "-"), ("val_", "--")):
            values = history.get(prefix + metric)
            if values:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(
                    epochs, values, style, marker="o", ms=3, label=("validation " if prefix else "training ") + metric
                )
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def smooth(values: Sequence[float], window: int = 25) -> np.ndarray:
    """Moving average over `window` values (fewer when there are fewer), so that step-to-step
    noise does not hide the trend; len(values) - window + 1 points."""
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_image_rows(rows: Mapping[str, ArrayLike], path: str | os.PathLike, count: int = 10) -> str | os.PathLike:
    """One row of the first `count` grey images (N, 1, H, W) in [0, 1] per {label: images}."""
    plt = pyplot()
    fig, axes = plt.subplots(len(rows), count, figsize=(count * 0.9 + 2.5, len(rows) * 1.0), squeeze=False)
    for row, (label, images) in zip(axes, rows.items()):
        for ax, image in zip(row, images[:count]):
            ax.imshow(image[0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    return save_figure(fig, path)


def draw_attention_map(ax: Any, source: Sequence[str], output: Sequence[str], weights: ArrayLike) -> None:
    """Attention weights (outputs, sources) as a grey heat map on the axes `ax`, a row per
    output token and a column per source token, each labelled with its token."""
    ax.imshow(weights, cmap="Greys", vmin=0, vmax=1)
    ax.set_xticks(range(len(source)), source, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(output)), output, fontsize=7)
