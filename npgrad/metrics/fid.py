"""Fréchet distance between two Gaussians fitted to features, the Fréchet Inception Distance's
formula (Heusel et al., 2017):

    FID = |mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^(1/2))

computed as the widely used implementations do: scipy.linalg.sqrtm of the product, the small
imaginary part that rounding leaves in it discarded, and eps added to both diagonals when
the product is singular. The features can come from any extractor: npgrad.metrics ships small
MNIST and Fashion-MNIST classifiers (see extractor.py); InceptionV3 features from elsewhere
work the same way.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from ..types import ArrayLike

IMAGINARY_TOLERANCE = 1e-3


def _sqrtm() -> Callable[[np.ndarray], np.ndarray]:
    try:
        from scipy.linalg import sqrtm
    except ImportError as error:
        raise ImportError("FID needs scipy for the matrix square root: pip install 'npgrad[metrics]'") from error
    return sqrtm


def _check_statistics(
    mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    for name, array, shape in (
        ("mu1", mu1, (d,)),
        ("mu2", mu2, (d,)),
        ("sigma1", sigma1, (d, d)),
        ("sigma2", sigma2, (d, d)),
    ):
        if array.shape != shape:
            raise ValueError(
                f"frechet_distance: expected {name} of shape {shape} (mu1 has {d} dimensions), got {array.shape}"
            )
    return mu1, sigma1, mu2, sigma2


def _trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray, eps: float) -> float:
    """tr((sigma1 sigma2)^(1/2)); retried with eps on the diagonals if the product is singular."""
    sqrtm = _sqrtm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on singular products; the check below decides
        covmean = sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        warnings.warn(
            f"frechet_distance: the covariance product is singular; adding {eps} to the diagonals",
            RuntimeWarning,
            stacklevel=3,
        )
        offset = eps * np.eye(sigma1.shape[0])
        covmean = sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        largest = np.abs(np.diagonal(covmean).imag).max()
        if largest > IMAGINARY_TOLERANCE:
            raise ValueError(
                f"frechet_distance: the matrix square root has an imaginary part of "
                f"{largest:.3g} on its diagonal (more than rounding): are the "
                "covariances symmetric positive semi-definite?"
            )
        covmean = covmean.real
    return np.trace(covmean)


def frechet_distance(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike, eps: float = 1e-6) -> float:
    """The Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), a float."""
    mu1, sigma1, mu2, sigma2 = _check_statistics(mu1, sigma1, mu2, sigma2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * _trace_sqrt_product(sigma1, sigma2, eps))


def feature_statistics(features: ArrayLike, name: str = "features") -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (float64) of an (N, D) feature array; warns when N <= D (the
    covariance is then singular and the FID unreliable)."""
    features = np.asarray(features)
    if features.ndim != 2:
        raise ValueError(f"fid: expected {name} of shape (N, D), got {features.shape}")
    n, d = features.shape
    if n < 2:
        raise ValueError(f"fid: {name} has {n} sample(s); a covariance needs at least 2")
    if n <= d:
        warnings.warn(
            f"fid: {name} has {n} samples for {d} feature dimensions, so its covariance "
            f"is singular; use at least {d + 1} samples (FID is usually computed on "
            f"thousands, at least 10 x {d})",
            RuntimeWarning,
            stacklevel=3,
        )
    features = features.astype(np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def fid(features_a: ArrayLike, features_b: ArrayLike, eps: float = 1e-6) -> float:
    """FID between two feature sets, (N, D) and (M, D) arrays (e.g. extractor(images))."""
    mu_a, sigma_a = feature_statistics(features_a, "features_a")
    mu_b, sigma_b = feature_statistics(features_b, "features_b")
    if mu_a.shape != mu_b.shape:
        raise ValueError(
            f"fid: the feature sets have {mu_a.shape[0]} and {mu_b.shape[0]} "
            "dimensions; they must come from the same extractor"
        )
    return frechet_distance(mu_a, sigma_a, mu_b, sigma_b, eps)
