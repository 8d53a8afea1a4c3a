"""FID: frechet_distance against an independent eigendecomposition route, fid on feature sets."""
import importlib
import warnings

import numpy as np
import pytest

from npgrad.metrics import feature_statistics, fid, frechet_distance


def reference_frechet(mu1, sigma1, mu2, sigma2):
    """tr((S1 S2)^(1/2)) = sum sqrt(eig(S1^(1/2) S2 S1^(1/2))), a symmetric eigenproblem."""
    values, vectors = np.linalg.eigh(sigma1)
    root1 = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    inner = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.sqrt(np.clip(inner, 0, None)).sum()


def random_statistics(rng, d, n, rank=None):
    """Mean and covariance of n samples in d dimensions, spread over `rank` directions plus a
    little isotropic noise when rank < d (a near-singular covariance)."""
    basis = rng.standard_normal((rank or d, d))
    samples = rng.standard_normal((n, rank or d)) @ basis + rng.standard_normal(d)
    if rank is not None:
        samples += 1e-3 * rng.standard_normal((n, d))
    return samples.mean(0), np.cov(samples, rowvar=False)


@pytest.mark.parametrize("d, rank", [(2, None), (16, None), (64, None), (32, 8), (64, 3)])
def test_frechet_distance_equals_eigen_route(d, rank):
    rng = np.random.default_rng(d + (rank or 0))
    mu1, sigma1 = random_statistics(rng, d, 500, rank)
    mu2, sigma2 = random_statistics(rng, d, 500, rank)
    expected = reference_frechet(mu1, sigma1, mu2, sigma2)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-6)


def test_identical_sets_give_zero():
    features = np.random.default_rng(0).standard_normal((400, 20))
    assert abs(fid(features, features)) < 1e-8
    assert fid(features, features + 1.0) == pytest.approx(20.0, rel=1e-6)  # only the means differ


def test_fid_equals_formula_on_feature_statistics():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((300, 10)), 0.5 * rng.standard_normal((200, 10)) + 0.3
    mu_a, mu_b = a.mean(0), b.mean(0)
    sigma_a, sigma_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    assert fid(a, b) == pytest.approx(reference_frechet(mu_a, sigma_a, mu_b, sigma_b), rel=1e-6)


def test_non_finite_square_root_retries_with_eps_on_the_diagonals(monkeypatch):
    """When sqrtm of the product comes back non-finite (a singular product), the distance is
    computed from sigma + eps I, with a warning."""
    import scipy.linalg
    fid_module = importlib.import_module("npgrad.metrics.fid")
    calls = []

    def sqrtm_failing_once(matrix):
        calls.append(matrix)
        return np.full_like(matrix, np.nan) if len(calls) == 1 else scipy.linalg.sqrtm(matrix)
    monkeypatch.setattr(fid_module, "_sqrtm", lambda: sqrtm_failing_once)
    rng = np.random.default_rng(2)
    mu1, sigma1 = random_statistics(rng, 6, 50, rank=2)
    mu2, sigma2 = random_statistics(rng, 6, 50, rank=2)
    with pytest.warns(RuntimeWarning, match="singular; adding 0.01"):
        value = frechet_distance(mu1, sigma1, mu2, sigma2, eps=0.01)
    offset = 0.01 * np.eye(6)
    np.testing.assert_allclose(calls[1], (sigma1 + offset) @ (sigma2 + offset))
    expected = reference_frechet(mu1, sigma1 + offset, mu2, sigma2 + offset) - 2 * 6 * 0.01
    assert value == pytest.approx(expected, rel=1e-6)


def test_too_few_samples_warns_with_the_number_needed():
    features = np.random.default_rng(3).standard_normal((30, 64))
    with pytest.warns(RuntimeWarning, match="at least 65 samples"):
        feature_statistics(features)


def test_enough_samples_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        feature_statistics(np.random.default_rng(4).standard_normal((65, 64)))


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"features_b of shape \(N, D\)"):
        fid(np.zeros((10, 3)), np.zeros(10))
    with pytest.raises(ValueError, match="same extractor"):
        fid(np.random.default_rng(0).standard_normal((10, 3)), np.random.default_rng(1).standard_normal((10, 4)))
    with pytest.raises(ValueError, match=r"sigma2 of shape \(3, 3\)"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))


def test_non_psd_covariance_raises():
    sigma = np.diag([1.0, -4.0])
    with pytest.raises(ValueError, match="imaginary part"):
        frechet_distance(np.zeros(2), sigma, np.zeros(2), np.eye(2))
