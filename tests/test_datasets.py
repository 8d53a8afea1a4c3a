"""npgrad.datasets: real data sets from the shared data folder (NPGRAD_DATA), the bundled
MNIST, file checks and errors, MNIST-1D against the published frozen data, and toy sets."""

import gzip
import io
import os
import pickle
import shutil
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from npgrad import datasets
from npgrad.data import DataLoader, transforms as T
from npgrad.datasets import storage
from npgrad.datasets.mnist1d import gaussian_smooth, resample

DATA = Path(os.environ.get("NPGRAD_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def needs(folder):
    return pytest.mark.skipif(
        not (DATA / folder).is_dir(),
        reason=f"{DATA / folder} not found; point NPGRAD_DATA at a folder that holds "
        f"{folder}/ (README, Data: where to get each data set)",
    )


MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# Sign Language MNIST counts by file label 0..24 (no 9 = J), from the data README
SIGN_TRAIN_COUNTS = [
    1126,
    1010,
    1144,
    1196,
    957,
    1204,
    1090,
    1013,
    1162,
    0,
    1114,
    1241,
    1055,
    1151,
    1196,
    1088,
    1279,
    1294,
    1199,
    1186,
    1161,
    1082,
    1225,
    1164,
    1118,
]
SIGN_TEST_COUNTS = [
    331,
    432,
    310,
    245,
    498,
    247,
    348,
    436,
    288,
    0,
    331,
    209,
    394,
    291,
    246,
    347,
    164,
    144,
    246,
    248,
    266,
    346,
    206,
    267,
    332,
]


@pytest.fixture(scope="module")
def mnist_train():
    return datasets.MNIST(root=DATA, train=True, download=False)


@pytest.fixture(scope="module")
def mnist_test():
    return datasets.MNIST(root=DATA, train=False, download=False)


@pytest.fixture
def empty_root(tmp_path, monkeypatch):
    """No NPGRAD_DATA and an empty user cache: only the bundled MNIST is left."""
    monkeypatch.delenv("NPGRAD_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


# -- MNIST and Fashion-MNIST ----------------------------------------------------------------


@needs("mnist")
def test_mnist_shapes_dtypes_and_label_histograms(mnist_train, mnist_test):
    assert mnist_train.data.shape == (60000, 28, 28) and mnist_train.data.dtype == np.uint8
    assert mnist_train.targets.shape == (60000,) and mnist_train.targets.dtype == np.int64
    assert np.bincount(mnist_train.targets).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist_test.targets).tolist() == MNIST_TEST_COUNTS
    assert len(mnist_train.classes) == 10 and len(mnist_test) == 10000


@needs("mnist")
def test_mnist_items_batches_and_arrays_agree(mnist_test):
    image, label = mnist_test[7]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and isinstance(label, int)
    assert 0 <= image.min() and image.max() == 1.0
    batch, labels = mnist_test.get_batch(np.array([7, 8]))
    assert np.array_equal(batch[0], image) and labels[0] == label
    x, y = mnist_test.arrays(flatten=True)
    assert x.shape == (10000, 784) and x.dtype == np.float32 and np.array_equal(x[7], image.numpy().ravel())
    assert y.dtype == np.int64 and y[7] == label
    assert mnist_test.arrays(normalize=False)[0].max() == 255.0


@needs("mnist")
def test_mnist_transform_gets_stored_images_one_by_one_and_in_batches():
    normalized = datasets.MNIST(
        root=DATA, download=False, transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    )
    x, _ = next(iter(DataLoader(normalized, batch_size=1000)))
    assert x.shape == (1000, 1, 28, 28) and x.dtype == np.float32
    assert abs(x.numpy().mean()) < 0.1 and abs(x.numpy().std() - 1) < 0.1
    assert np.allclose(normalized[3][0], x.numpy()[3])


@needs("mnist")
def test_mnist_is_read_once_per_process(mnist_train):
    again = datasets.MNIST(root=DATA, train=True, download=False)
    assert again.data is mnist_train.data
    with pytest.raises(ValueError, match="read-only"):
        again.data[0, 0, 0] = 1


@needs("fashion-mnist")
def test_fashion_mnist_is_balanced():
    train = datasets.FashionMNIST(root=DATA, download=False)
    test = datasets.FashionMNIST(root=DATA, train=False, download=False)
    assert train.data.shape == (60000, 28, 28) and np.bincount(train.targets).tolist() == [6000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10 and train.classes[9] == "Ankle boot"


def test_bundled_mnist_needs_no_data_folder(empty_root):
    test = datasets.MNIST(train=False)
    assert np.bincount(test.targets).tolist() == MNIST_TEST_COUNTS
    located = storage.locate(
        storage.DataFile("mnist", "t10k-labels-idx1-ubyte.gz", "-"), download=False, bundled=datasets.MNIST.bundled
    )
    assert located.parent == datasets.MNIST.bundled


def test_data_root_prefers_argument_then_environment_then_cache(empty_root, monkeypatch):
    assert storage.data_root() == empty_root / "cache" / "npgrad"
    monkeypatch.setenv("NPGRAD_DATA", str(empty_root / "env"))
    assert storage.data_root() == empty_root / "env"
    assert storage.data_root(empty_root / "arg") == empty_root / "arg"


# -- broken and missing files ---------------------------------------------------------------


def bundled_copy(tmp_path, name, change):
    """The bundled MNIST file `name`, altered by change(bytes) and saved in a fresh data root."""
    folder = tmp_path / "mnist"
    folder.mkdir(parents=True)
    original = (datasets.MNIST.bundled / name).read_bytes()
    (folder / name).write_bytes(change(original))
    return folder / name


def test_truncated_gzip_names_the_file(tmp_path):
    path = bundled_copy(tmp_path, "t10k-labels-idx1-ubyte.gz", lambda b: b[: len(b) // 2])
    with pytest.raises(datasets.CorruptFileError, match="corrupt or truncated") as error:
        datasets.MNIST(root=tmp_path, train=False, download=False)
    assert str(path) in str(error.value) and "delete it and download again" in str(error.value)


def test_checksum_mismatch_names_the_file(tmp_path):
    def relabel(gz):  # a valid gzip whose contents differ in one label
        contents = bytearray(gzip.decompress(gz))
        contents[-1] = (contents[-1] + 1) % 10
        return gzip.compress(bytes(contents))

    path = bundled_copy(tmp_path, "t10k-labels-idx1-ubyte.gz", relabel)
    with pytest.raises(datasets.CorruptFileError, match=r"sha256 of its contents [0-9a-f]{64}, expected ff7bcfd4"):
        datasets.MNIST(root=tmp_path, train=False, download=False)
    with pytest.raises(datasets.CorruptFileError, match=str(path)):
        datasets.MNIST(root=tmp_path, train=False, download=False)


def test_uncompressed_files_are_accepted(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]:
        (folder / name[:-3]).write_bytes(gzip.decompress((datasets.MNIST.bundled / name).read_bytes()))
    test = datasets.MNIST(root=tmp_path, train=False, download=False)
    assert np.bincount(test.targets).tolist() == MNIST_TEST_COUNTS


def test_read_idx_checks_magic_number_and_size():
    labels = np.arange(5, dtype=np.uint8)
    good = bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + labels.tobytes()
    assert storage.read_idx(good).tolist() == labels.tolist()
    with pytest.raises(ValueError, match="not an IDX file"):
        storage.read_idx(b"\x1f\x8b" + good[2:])
    with pytest.raises(ValueError, match=r"shape \(5,\), 13 bytes, but there are 12"):
        storage.read_idx(good[:-1])


def test_missing_file_says_where_to_put_it(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        datasets.FashionMNIST(root=tmp_path, download=False)
    message = str(error.value)
    assert "fashion-mnist/train-images-idx3-ubyte.gz is missing" in message
    assert str(tmp_path / "fashion-mnist") in message and "download=False" in message
    assert "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz" in message
    with pytest.raises(FileNotFoundError, match="Kaggle"):
        datasets.SignLanguageMNIST(root=tmp_path)


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def serve(monkeypatch, files):
    """Make urllib 'download' files[basename of the url] instead of going to the network."""
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse(files[url.rsplit("/", 1)[-1]]))


@needs("tinyshakespeare")
def test_download_is_verified_before_it_is_kept(tmp_path, monkeypatch):
    text = (DATA / "tinyshakespeare" / "input.txt").read_bytes()
    serve(monkeypatch, {"input.txt": text[:-1]})
    with pytest.raises(FileNotFoundError, match="failed: .*corrupt or truncated"):
        datasets.TinyShakespeare(root=tmp_path)
    assert not any(tmp_path.rglob("input*"))  # nothing half-written is left behind
    serve(monkeypatch, {"input.txt": text})
    assert len(datasets.TinyShakespeare(root=tmp_path).classes) == 65
    assert (tmp_path / "tinyshakespeare" / "input.txt").read_bytes() == text


@needs("fashion-mnist")
def test_downloaded_gzip_files_are_checked_after_decompression(tmp_path, monkeypatch):
    names = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    serve(monkeypatch, {name: (DATA / "fashion-mnist" / name).read_bytes() for name in names})
    test = datasets.FashionMNIST(root=tmp_path, train=False)
    assert len(test) == 10000 and sorted(p.name for p in (tmp_path / "fashion-mnist").iterdir()) == names


# -- Sign Language MNIST, tiny-shakespeare ----------------------------------------------------


@needs("sign-language-mnist")
def test_sign_language_mnist_has_24_classes_with_the_readme_counts():
    train = datasets.SignLanguageMNIST(root=DATA, download=False)
    test = datasets.SignLanguageMNIST(root=DATA, train=False, download=False)
    assert train.data.shape == (27455, 28, 28) and train.data.dtype == np.uint8
    assert test.data.shape == (7172, 28, 28) and test.targets.dtype == np.int64
    assert np.bincount(train.targets).tolist() == SIGN_TRAIN_COUNTS[:9] + SIGN_TRAIN_COUNTS[10:]
    assert np.bincount(test.targets).tolist() == SIGN_TEST_COUNTS[:9] + SIGN_TEST_COUNTS[10:]
    assert len(train.classes) == 24 and train.classes[9] == "K" and "J" not in train.classes


@needs("tinyshakespeare")
def test_tiny_shakespeare_vocabulary_split_and_windows():
    train = datasets.TinyShakespeare(root=DATA, download=False, block_size=16)
    val = datasets.TinyShakespeare(root=DATA, train=False, download=False, block_size=16)
    assert train.vocab_size == 65 and train.classes == sorted(train.classes)
    assert len(train.data) + len(val.data) == 1115394 and len(train.data) == int(0.9 * 1115394)
    assert train.text.startswith("First Citizen:") and train.decode(train.encode("To be")) == "To be"
    x, y = train[5]
    assert x.dtype == np.int64 and np.array_equal(x[1:], y[:-1])
    xb, yb = train.get_batch(np.array([5, 9]))
    assert np.array_equal(xb[0], x) and np.array_equal(yb[0], y)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        train.encode("naïve")


# -- MNIST-1D -------------------------------------------------------------------------------


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Reads pickled NumPy arrays and refuses every other global, so no code can run."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"): ("numpy", "ndarray"),
        ("numpy", "dtype"): ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(*self.ALLOWED[module, name])


def test_restricted_unpickler_refuses_code():
    payload = pickle.dumps(shutil.rmtree)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load shutil.rmtree"):
        NumpyOnlyUnpickler(io.BytesIO(payload)).load()


@needs("mnist1d")
def test_mnist1d_generator_reproduces_the_frozen_dataset():
    with open(DATA / "mnist1d" / "mnist1d_data.pkl", "rb") as f:
        frozen = NumpyOnlyUnpickler(f).load()
    ours = datasets.make_mnist1d()
    for key in ["y", "y_test", "t"]:
        assert np.array_equal(ours[key], frozen[key]), key
    for key in ["x", "x_test"]:
        assert ours[key].shape == frozen[key].shape
        np.testing.assert_allclose(ours[key], frozen[key], rtol=0, atol=1e-15)  # last-bit differences only


def test_mnist1d_dataset():
    train, test = datasets.MNIST1D(), datasets.MNIST1D(train=False)
    assert train.data.shape == (4000, 40) and test.data.shape == (1000, 40)
    assert train.data.dtype == np.float32 and train.targets.dtype == np.int64 and train.t.shape == (40,)
    assert np.bincount(np.concatenate([train.targets, test.targets])).tolist() == [500] * 10
    x, y = train[0]
    assert x.shape == (40,) and y == train.targets[0]


def test_resample_is_np_interp_on_every_row():
    rows = np.random.default_rng(0).normal(size=(5, 13))
    expected = [np.interp(np.linspace(0, 1, 40), np.linspace(0, 1, 13), r) for r in rows]
    assert np.array_equal(resample(rows, 40), np.array(expected))


def test_gaussian_smooth_matches_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    rows = np.random.default_rng(0).normal(size=(4, 72))
    expected = [ndimage.gaussian_filter(r, 2) for r in rows]
    assert np.array_equal(gaussian_smooth(rows, sigma=2), np.array(expected))


# -- toy sets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, size",
    [
        (lambda s: datasets.spirals(50, 3, seed=s), 150),
        (lambda s: datasets.moons(101, noise=0.1, seed=s), 101),
        (lambda s: datasets.circles(80, noise=0.05, seed=s), 80),
    ],
)
def test_toy_sets_are_seeded_and_shaped(make, size):
    x, y = make(0)
    assert x.shape == (size, 2) and x.dtype == np.float32 and y.shape == (size,) and y.dtype == np.int64
    assert np.array_equal(x, make(0)[0]) and not np.array_equal(x, make(1)[0])
    assert abs(np.bincount(y)[0] - np.bincount(y)[-1]) <= 1


def test_toy_set_geometry_without_noise():
    x, y = datasets.circles(100, factor=0.5)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert np.allclose(radius[y == 0], 1) and np.allclose(radius[y == 1], 0.5)
    x, y = datasets.spirals(10, 4, noise=0.0)
    assert np.bincount(y).tolist() == [10] * 4
    assert np.allclose(np.hypot(x[:10, 0], x[:10, 1]), np.linspace(0, 1, 10))  # radius grows evenly


def test_gates_still_work():
    inputs, targets = datasets.xor_gate()
    assert inputs.shape == (4, 2) and targets.numpy().tolist() == [0, 1, 1, 0]
