"""The small pieces teaching code takes from torch and torchvision: multinomial and Generator, tril/triu errors,
npgrad.utils (data alias, make_grid, save_image), transforms.Lambda / ToTensor / Normalize,
the datasets' torchvision arguments, Dropout2d on 2-D input, flatten_parameters, the
npgrad.nn.modules import paths, allclose / equal on parameters, nn.CosineSimilarity and nn.PairwiseDistance."""

import warnings

import numpy as np
import pytest

import npgrad
from npgrad import datasets, nn
from npgrad.data import DataLoader
from npgrad.data import transforms as T


# -- multinomial ------------------------------------------------------------------------------
WEIGHTS = np.array([0.5, 0.0, 2.0, 1.0, 1.5])  # not normalised; category 1 can never be drawn


def draw_frequencies(samples, categories):
    return np.bincount(np.asarray(samples).ravel(), minlength=categories) / np.asarray(samples).size


def test_multinomial_with_replacement_follows_the_weights():
    samples = npgrad.multinomial(npgrad.tensor(WEIGHTS), 200_000, replacement=True)
    assert samples.shape == (200_000,) and samples.dtype == np.int64
    # standard error of each frequency <= sqrt(0.25 / 200000) = 0.0011: 0.005 is 4.5 of them
    np.testing.assert_allclose(draw_frequencies(samples, 5), WEIGHTS / WEIGHTS.sum(), atol=0.005)


def test_multinomial_without_replacement_draws_in_sequence():
    p = WEIGHTS / WEIGHTS.sum()
    rows = npgrad.tensor(np.tile(WEIGHTS, (100_000, 1)))
    samples = npgrad.multinomial(rows, 2).numpy()
    assert samples.shape == (100_000, 2) and np.all(samples[:, 0] != samples[:, 1])
    assert not np.any(samples == 1)
    # P(first = i) = p_i; P(second = j) = sum_i p_i p_j / (1 - p_i), as when drawing one by one
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(5) if i != j) for j in range(5)])
    np.testing.assert_allclose(draw_frequencies(samples[:, 0], 5), p, atol=0.006)
    np.testing.assert_allclose(draw_frequencies(samples[:, 1], 5), second, atol=0.006)


def test_multinomial_repeats_with_the_seed_and_takes_a_generator():
    probs = npgrad.tensor([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    npgrad.manual_seed(3)
    first = probs.multinomial(4, replacement=True).numpy()
    npgrad.manual_seed(3)
    assert np.array_equal(npgrad.multinomial(probs, 4, True).numpy(), first)
    a = npgrad.multinomial(probs, 3, generator=np.random.default_rng(7)).numpy()
    b = npgrad.multinomial(probs, 3, generator=np.random.default_rng(7)).numpy()
    assert np.array_equal(a, b) and sorted(a[0]) == [0, 1, 2]


def test_generator_as_torch_builds_it_and_every_draw_takes_it():
    """makemore's pattern: g = torch.Generator().manual_seed(2147483647), then generator=g."""
    import torch

    for lib in (npgrad, torch):
        g = lib.Generator().manual_seed(2147483647)
        assert isinstance(g, lib.Generator) and g.initial_seed() == 2147483647
    npgrad.manual_seed(0)
    global_before = npgrad.randn(3).numpy()

    def draws(g):
        return [
            npgrad.randn(2, 3, generator=g).numpy(),
            npgrad.rand(4, generator=g).numpy(),
            npgrad.randint(0, 27, (5,), generator=g).numpy(),
            npgrad.randperm(6, generator=g).numpy(),
            npgrad.multinomial(npgrad.tensor([0.2, 0.8]), 3, replacement=True, generator=g).numpy(),
            next(iter(DataLoader(npgrad.arange(10), batch_size=10, shuffle=True, generator=g))).numpy(),
        ]

    first = draws(npgrad.Generator().manual_seed(5))
    again = draws(npgrad.Generator().manual_seed(5))
    other = draws(npgrad.Generator().manual_seed(6))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    npgrad.manual_seed(0)
    assert np.array_equal(npgrad.randn(3).numpy(), global_before)  # the global stream is its own
    g = npgrad.Generator()
    state = g.get_state()
    x = npgrad.randn(3, generator=g).numpy()
    assert np.array_equal(npgrad.randn(3, generator=g.set_state(state)).numpy(), x)
    with pytest.raises(RuntimeError, match="CPU only"):
        npgrad.Generator(device="cuda")


@pytest.mark.parametrize(
    "weights, n, replacement, message",
    [
        ([0.5, -0.1, 1.0], 1, True, "< 0"),
        ([0.5, np.nan], 1, True, "nan"),
        ([0.0, 0.0], 1, True, "sums to 0"),
        ([1.0, 0.0, 2.0], 3, False, "without replacement"),
        ([[[1.0]]], 1, True, "1-D or 2-D"),
        ([1.0, 2.0], 0, True, "positive"),
    ],
)
def test_multinomial_refuses_what_torch_refuses(weights, n, replacement, message):
    with pytest.raises(ValueError, match=message):
        npgrad.multinomial(npgrad.tensor(weights), n, replacement)


def test_tril_triu_need_a_matrix():
    with pytest.raises(ValueError, match="tril: input must have at least 2 dims"):
        npgrad.tril(npgrad.ones(3))
    assert np.array_equal(npgrad.ones(2, 3).triu(-5).numpy(), np.ones((2, 3)))


# -- npgrad.utils -----------------------------------------------------------------------------
def test_utils_data_is_npgrad_data():
    import npgrad.utils.data
    from npgrad.utils.data import DataLoader as Loader, Dataset, TensorDataset, random_split  # noqa: F401

    assert npgrad.utils.data is npgrad.data and Loader is DataLoader


def small_batch():
    """Three 1-channel 2x2 images with values 1..12."""
    return npgrad.tensor(np.arange(1, 13, dtype=np.float32).reshape(3, 1, 2, 2))


def test_make_grid_by_hand():
    grid = npgrad.utils.make_grid(small_batch(), nrow=2, padding=1, pad_value=-1.0).numpy()
    # 2 columns, 2 rows of 2x2 cells with 1 pixel of padding around each: (1 + 2 * 3) squared
    expected = np.array(
        [
            [-1, -1, -1, -1, -1, -1, -1],
            [-1, 1, 2, -1, 5, 6, -1],
            [-1, 3, 4, -1, 7, 8, -1],
            [-1, -1, -1, -1, -1, -1, -1],
            [-1, 9, 10, -1, -1, -1, -1],
            [-1, 11, 12, -1, -1, -1, -1],
            [-1, -1, -1, -1, -1, -1, -1],
        ],
        np.float32,
    )
    assert grid.shape == (3, 7, 7)  # one channel becomes three, as in torchvision
    for channel in grid:
        np.testing.assert_array_equal(channel, expected)


def test_make_grid_normalize_and_single_images():
    grid = npgrad.utils.make_grid(small_batch(), nrow=3, padding=0, normalize=True).numpy()
    np.testing.assert_allclose(
        grid[0], (np.hstack([np.arange(1, 5).reshape(2, 2) + 4 * k for k in range(3)]) - 1) / 11, rtol=1e-6
    )
    clamped = npgrad.utils.make_grid(small_batch(), padding=0, normalize=True, value_range=(2, 4)).numpy()
    np.testing.assert_allclose(clamped[0, :, :2], [[0, 0], [0.5, 1]])
    each = npgrad.utils.make_grid(small_batch(), padding=0, normalize=True, scale_each=True).numpy()
    np.testing.assert_allclose(each[0, 0], [0, 1 / 3, 0, 1 / 3, 0, 1 / 3], rtol=1e-6)
    one = npgrad.utils.make_grid(small_batch()[0])  # a single (C, H, W) image: no padding
    assert one.shape == (3, 2, 2)
    listed = npgrad.utils.make_grid([small_batch()[0], small_batch()[1]], padding=0)
    assert listed.shape == (3, 2, 4)
    with pytest.raises(TypeError, match="value_range"):
        npgrad.utils.make_grid(small_batch(), normalize=True, value_range=[0, 1])


def test_save_image_writes_the_grid_as_png(tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="save_image writes PNGs with Pillow: pip install -e '.[plot]'")
    images = small_batch() / 12
    path = tmp_path / "grid.png"
    npgrad.utils.save_image(images, path, nrow=2, padding=1)
    pixels = np.asarray(Image.open(path))
    expected = np.clip(npgrad.utils.make_grid(images, nrow=2, padding=1).numpy() * 255 + 0.5, 0, 255)
    assert pixels.shape == (7, 7, 3) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels, expected.astype(np.uint8).transpose(1, 2, 0))
    assert pixels[1, 1, 0] == round(255 / 12) and pixels[5, 2, 0] == 255


# -- transforms and datasets ------------------------------------------------------------------
def test_to_tensor_returns_tensors_as_torchvision():
    image = np.arange(12, dtype=np.uint8).reshape(2, 2, 3) * 20
    out = T.ToTensor()(image)
    assert isinstance(out, npgrad.Tensor) and out.shape == (3, 2, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), image.transpose(2, 0, 1) / 255, rtol=1e-6)


def test_normalize_and_lambda_on_tensors():
    x = npgrad.tensor(np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    out = T.Normalize((1.0, 2.0), (2.0, 4.0))(x)
    assert isinstance(out, npgrad.Tensor)
    np.testing.assert_allclose(out.numpy(), [[[-0.5, 0], [0.5, 1]], [[0.5, 0.75], [1, 1.25]]])
    flat = T.Compose([T.ToTensor(), T.Lambda(lambda t: t.view(-1))])(np.zeros((3, 4, 1), np.uint8))
    assert flat.shape == (12,)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


def test_center_crop_by_hand():
    image = np.arange(30, dtype=np.float32).reshape(1, 5, 6)
    np.testing.assert_array_equal(T.CenterCrop(3)(image)[0], image[0, 1:4, 2:5])  # round(1.0), round(1.5) = 2
    np.testing.assert_array_equal(T.CenterCrop((2, 4))(image)[0], image[0, 2:4, 1:5])  # round(1.5) = 2, round(1.0)
    padded = T.CenterCrop((7, 9))(image)[0]  # larger: zeros around, 1 above and 1 left, 1 and 2 after
    assert padded.shape == (7, 9) and padded[0].sum() == 0 and padded[:, 0].sum() == 0
    np.testing.assert_array_equal(padded[1:6, 1:7], image[0])


@pytest.mark.parametrize(
    "size, antialias",
    [((32, 32), True), ((14, 14), True), ((7, 11), True), ((40, 9), True), (24, True), ((9, 13), False)],
)
def test_resize_is_torchs_bilinear_interpolation(size, antialias):
    torch = pytest.importorskip("torch")  # torchvision resizes tensors with F.interpolate(..., antialias=True)
    x = np.random.default_rng(0).random((2, 3, 30, 20)).astype(np.float32)
    resize = T.Resize(size, antialias=antialias)
    out = resize(npgrad.tensor(x))
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(x), size=resize.output_size(30, 20), mode="bilinear", align_corners=False, antialias=antialias
    ).numpy()
    assert isinstance(out, npgrad.Tensor) and out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, atol=2e-6)
    assert T.Resize(24).output_size(30, 20) == (36, 24)  # the smaller edge becomes 24


def test_resize_and_crop_take_stored_images_before_to_tensor():
    stored = (np.arange(28 * 28, dtype=np.int64).reshape(28, 28, 1) % 256).astype(np.uint8)
    out = T.Compose([T.Resize(32), T.CenterCrop(30)])(stored)
    assert out.dtype == np.uint8 and out.shape == (30, 30, 1)
    as_float = T.CenterCrop(30)(T.Resize(32)(stored.transpose(2, 0, 1).astype(np.float32)))
    np.testing.assert_array_equal(out[..., 0], np.clip(np.round(as_float[0]), 0, 255))


def test_mnist_with_torchvision_arguments():
    train = datasets.MNIST("unused-root", train=True, download=True, transform=T.ToTensor())
    image, label = train[0]
    assert isinstance(image, npgrad.Tensor) and image.shape == (1, 28, 28) and isinstance(label, int)
    flat = datasets.MNIST(
        "unused-root", False, T.Compose([T.ToTensor(), T.Lambda(lambda t: t.view(-1))]), lambda y: y + 100
    )
    x, y = next(iter(DataLoader(flat, batch_size=5)))
    assert x.shape == (5, 784)  # the Lambda saw one image at a time, as in torchvision
    np.testing.assert_array_equal(x.numpy()[2], flat[2][0].numpy())
    assert y.dtype == np.int64 and y.numpy().tolist() == [flat[i][1] for i in range(5)]
    assert all(t >= 100 for t in y.numpy())


# -- layers -----------------------------------------------------------------------------------
def test_dropout2d_on_2d_input_warns_as_torch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.Dropout2d(0.5)(torch.ones(4, 6))
    with pytest.warns(UserWarning) as ours:
        out = nn.Dropout2d(0.5)(npgrad.ones(200, 50))
    assert str(ours[0].message) == str(theirs[0].message)
    kept = out.numpy()
    assert set(np.unique(kept)) == {0.0, 2.0} and 0.45 < (kept == 0).mean() < 0.55  # each entry alone


def test_flatten_parameters_is_a_no_op():
    lstm = nn.LSTM(3, 4, num_layers=2)
    before = {k: np.array(v) for k, v in lstm.state_dict().items()}
    assert lstm.flatten_parameters() is None
    for cls in (nn.RNN, nn.GRU):
        cls(3, 4).flatten_parameters()
    assert all(np.array_equal(before[k], np.asarray(v)) for k, v in lstm.state_dict().items())


def test_nn_modules_import_paths():
    from npgrad.nn.modules.batchnorm import _BatchNorm
    from npgrad.nn.modules.conv import Conv2d
    from npgrad.nn.modules.loss import _Loss

    assert Conv2d is nn.Conv2d and nn.modules.linear.Linear is nn.Linear
    assert isinstance(nn.BatchNorm2d(3), _BatchNorm) and isinstance(nn.BatchNorm1d(3), nn.modules.batchnorm._BatchNorm)
    assert isinstance(nn.CrossEntropyLoss(), _Loss) and nn.modules.module.Module is nn.Module
    assert nn.modules.rnn.LSTM is nn.LSTM and nn.modules.Sequential is nn.Sequential
    assert nn.modules.distance.CosineSimilarity is nn.CosineSimilarity
    assert (
        nn.modules.container.ParameterList is nn.ParameterList
        and nn.modules.pooling.AdaptiveAvgPool1d is nn.AdaptiveAvgPool1d
    )


# -- allclose / equal ---------------------------------------------------------------------------
def test_allclose_and_equal_take_parameters_as_torch():
    import torch

    values = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    for lib in (npgrad, torch):
        weight = lib.nn.Parameter(lib.tensor(values))  # requires grad: compared without a graph
        nudged = lib.tensor(values * np.float32(1 + 2e-6))
        assert lib.allclose(weight, nudged) and not lib.equal(weight, nudged)
        assert lib.equal(weight, lib.tensor(values)) and not lib.equal(weight, lib.tensor(values[:1]))


def test_cosine_similarity_and_pairwise_distance_modules_as_torch():
    import torch

    a, b = np.random.default_rng(0).standard_normal((2, 4, 3, 5)).astype(np.float32)
    for dim, eps in ((1, 1e-8), (-1, 0.5)):
        ours = nn.CosineSimilarity(dim, eps)(npgrad.tensor(a), npgrad.tensor(b)).numpy()
        theirs = torch.nn.CosineSimilarity(dim, eps)(torch.tensor(a), torch.tensor(b)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    for p, keepdim in ((2.0, False), (1.0, True)):
        ours = nn.PairwiseDistance(p, keepdim=keepdim)(npgrad.tensor(a), npgrad.tensor(b)).numpy()
        theirs = torch.nn.PairwiseDistance(p, keepdim=keepdim)(torch.tensor(a), torch.tensor(b)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


# -- counting, finding and drawing ----------------------------------------------------------------
def test_unique_bincount_nonzero_isinf_isclose_as_torch():
    import torch

    ints = np.array([[3, 1, 3], [0, 1, 3]])
    floats = np.array([[0.0, np.inf, 1.0], [-np.inf, 2.0, 1.0 + 1e-7]], np.float32)
    for op in [
        lambda lib: lib.unique(lib.tensor(ints)),
        lambda lib: lib.unique(lib.tensor(ints), return_inverse=True, return_counts=True),
        lambda lib: lib.unique(lib.tensor(ints), dim=1, return_inverse=True),
        lambda lib: lib.bincount(lib.tensor(ints[0]), minlength=6),
        lambda lib: lib.bincount(lib.tensor(ints[1]), weights=lib.tensor(np.full(3, 0.5, np.float32))),
        lambda lib: lib.nonzero(lib.tensor(ints)),
        lambda lib: lib.tensor(ints).nonzero(as_tuple=True),
        lambda lib: lib.count_nonzero(lib.tensor(ints), dim=0),
        lambda lib: lib.isinf(lib.tensor(floats)),
        lambda lib: lib.isclose(lib.tensor(floats), lib.tensor(np.ones_like(floats))),
    ]:
        got, expected = op(npgrad), op(torch)
        got, expected = (got, expected) if isinstance(got, tuple) else ((got,), (expected,))
        for g, e in zip(got, expected):
            assert g.dtype == e.numpy().dtype
            np.testing.assert_array_equal(g.numpy(), e.numpy())
    assert npgrad.zeros(2, 3).ndimension() == 2
    with pytest.raises(ValueError, match=r"mm: expected 2-D and 2-D tensors, got shapes \(3,\) and \(3, 2\)"):
        npgrad.mm(npgrad.ones(3), npgrad.ones(3, 2))
    with pytest.raises(ValueError, match="dot: expected 1-D and 1-D"):
        npgrad.dot(npgrad.ones(2, 2), npgrad.ones(2))


def test_normal_and_bernoulli_draw_what_they_should():
    g = npgrad.Generator().manual_seed(0)
    draws = npgrad.normal(2.0, 3.0, size=(200_000,), generator=g)
    assert draws.dtype == np.float32 and draws.shape == (200_000,)
    # standard errors: 3 / sqrt(200000) = 0.0067 for the mean; 0.03 is 4.5 of them
    assert abs(float(draws.mean()) - 2.0) < 0.03 and abs(float(draws.std()) - 3.0) < 0.03
    means = npgrad.tensor(np.array([0.0, 100.0], np.float64))
    assert npgrad.normal(means, npgrad.tensor(np.array([1e-6, 1e-6]))).dtype == np.float64
    np.testing.assert_allclose(npgrad.normal(means, 1e-6).numpy(), [0.0, 100.0], atol=1e-4)
    p = npgrad.tensor(np.array([0.0, 0.25, 1.0], np.float32))
    flips = npgrad.bernoulli(p.expand(100_000, 3), generator=g)
    assert flips.dtype == np.float32
    np.testing.assert_allclose(flips.numpy().mean(axis=0), [0.0, 0.25, 1.0], atol=0.006)  # 4.4 standard errors
    again = npgrad.bernoulli(p.expand(100_000, 3), generator=npgrad.Generator().manual_seed(0).set_state(g.get_state()))
    assert np.array_equal(again.numpy(), npgrad.bernoulli(p.expand(100_000, 3), generator=g).numpy())
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        npgrad.bernoulli(npgrad.tensor([1.5]))
