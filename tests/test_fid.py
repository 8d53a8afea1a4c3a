"""FID: frechet_distance against an independent eigendecomposition route, fid on feature sets;
the shipped feature extractors and `npgrad fid`."""

import importlib
import warnings

import numpy as np
import pytest

import npgrad
from npgrad.cli import main as npgrad_main
from npgrad.datasets import MNIST
from npgrad.metrics import FeatureExtractor, feature_statistics, fid, fid_images, frechet_distance
from npgrad.metrics.train_extractor import train_extractor


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


# -- the shipped feature extractors and `npgrad fid` ---------------------------------------------


@pytest.fixture(scope="module")
def mnist_test():
    return MNIST(train=False).arrays()


def test_shipped_mnist_extractor_classifies_and_gives_64_features(mnist_test):
    extractor = FeatureExtractor.load("mnist")
    assert extractor.info["test_accuracy"] > 0.98 and "train_extractor" in extractor.info["command"]
    images, labels = mnist_test[0][:1000], mnist_test[1][:1000]
    with npgrad.no_grad():
        predicted = extractor.model(npgrad.tensor(images)).numpy().argmax(1)
    assert (predicted == labels).mean() > 0.97
    features = extractor(images[:10])
    assert features.shape == (10, 64) and features.dtype == np.float64
    np.testing.assert_allclose(extractor(np.round(images[:10, 0] * 255).astype(np.uint8)), features, atol=1e-4)


def test_class_shares_follow_the_labels_and_see_a_dropped_class(mnist_test):
    extractor = FeatureExtractor.load("mnist")
    images, labels = mnist_test[0][:2000], mnist_test[1][:2000]
    shares = extractor.class_shares(images, batch_size=300)
    np.testing.assert_allclose(shares, np.bincount(labels, minlength=10) / 2000, atol=0.01)
    without_ones = extractor.class_shares(images[labels != 1])
    assert without_ones[1] < 0.005 and without_ones.sum() == pytest.approx(1.0)


def test_fid_of_real_images_is_far_below_fid_of_noise(mnist_test):
    images = mnist_test[0]
    real_vs_real = fid_images(images[:500], images[500:1000])
    noise = np.random.default_rng(0).uniform(0, 1, (500, 1, 28, 28)).astype(np.float32)
    assert real_vs_real < 0.05 * fid_images(noise, images[500:1000])


def test_train_extractor_repeats_exactly(tmp_path):
    for name in ("a", "b"):
        train_extractor("mnist", epochs=1, train_limit=128, out=str(tmp_path / f"{name}.safetensors"), progress=False)
    first, second = (npgrad.load(str(tmp_path / f"{name}.safetensors")) for name in ("a", "b"))
    assert all(np.array_equal(first["model"][key], second["model"][key]) for key in first["model"])


def write_png_folder(folder, images):
    matplotlib_image = pytest.importorskip(
        "matplotlib.image", reason="writing PNG folders needs matplotlib: pip install -e '.[all]'"
    )
    folder.mkdir()
    for index, image in enumerate(images):
        matplotlib_image.imsave(folder / f"{index:04d}.png", image[0], cmap="gray", vmin=0, vmax=1)


def test_npgrad_fid_on_npz_png_folder_and_run_folder(tmp_path, mnist_test, capsys):
    images = mnist_test[0]
    np.savez(tmp_path / "a.npz", images=np.round(images[:200] * 255).astype(np.uint8))
    write_png_folder(tmp_path / "pngs", images[200:400])
    run = tmp_path / "run"
    run.mkdir()
    np.savez(run / "samples.npz", images[400:600])
    assert npgrad_main(["fid", str(tmp_path / "a.npz"), str(tmp_path / "pngs")]) == 0
    output = capsys.readouterr().out
    assert "FID" in output and "200 images" in output
    value = float(output.split()[1])
    assert value == pytest.approx(fid_images(images[:200], images[200:400]), rel=1e-3)
    assert npgrad_main(["fid", str(run), str(tmp_path / "a.npz"), "--extractor", "fashion-mnist"]) == 0


def test_npgrad_fid_bad_inputs(tmp_path, capsys):
    np.savez(tmp_path / "big.npz", images=np.zeros((70, 32, 32), np.uint8))
    np.savez(tmp_path / "ok.npz", images=np.zeros((70, 28, 28), np.uint8))
    assert npgrad_main(["fid", str(tmp_path / "big.npz"), str(tmp_path / "ok.npz")]) == 2
    assert "expected images of shape (N, 1, 28, 28)" in capsys.readouterr().err
    np.savez(tmp_path / "rgb.npz", images=np.zeros((70, 3, 28, 28), np.float32))
    assert npgrad_main(["fid", str(tmp_path / "rgb.npz"), str(tmp_path / "ok.npz")]) == 2
    assert "expected grayscale images" in capsys.readouterr().err
    assert npgrad_main(["fid", str(tmp_path / "missing.npz"), str(tmp_path / "ok.npz")]) == 2
    assert "expected a folder of .png images" in capsys.readouterr().err
