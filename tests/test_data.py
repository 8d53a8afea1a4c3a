"""npgrad.data: datasets, samplers, DataLoader, collation and image transforms."""

import numpy as np
import pytest

import npgrad
from npgrad.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)
from npgrad.data import transforms as T


def numbered(n=10, features=3):
    """A TensorDataset whose i-th input row is filled with i, so batches show their indices."""
    x = np.repeat(np.arange(n, dtype=np.float64)[:, None], features, axis=1)
    return TensorDataset(x, np.arange(n))


class ItemsOnly:
    """A duck-typed dataset without get_batch: the DataLoader must loop over its items."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float64), i


def labels_of(loader):
    return [y.numpy().tolist() for _, y in loader]


# -- datasets -------------------------------------------------------------------------------


def test_tensor_dataset_items_and_standard_dtypes():
    ds = numbered(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.numpy().tolist() == [3.0, 3.0, 3.0] and int(y.item()) == 3
    assert ds.tensors[0].dtype == np.float32 and ds.tensors[1].dtype == np.int64


def test_tensor_dataset_shares_memory_of_standard_arrays():
    x = np.zeros((4, 2), np.float32)
    ds = TensorDataset(x, np.arange(4))
    assert np.shares_memory(ds.tensors[0].detach().numpy(), x)


def test_tensor_dataset_rejects_different_lengths():
    with pytest.raises(ValueError, match=r"same first dimension.*\(4, 2\).*\(3,\)"):
        TensorDataset(np.zeros((4, 2)), np.zeros(3))


def test_subset_and_nested_subset_map_indices():
    ds = numbered(10)
    outer = Subset(ds, [9, 7, 5, 3, 1])
    inner = Subset(outer, [4, 0])
    assert int(outer[1][1].item()) == 7
    assert [int(inner[i][1].item()) for i in range(2)] == [1, 9]
    assert inner.get_batch(np.array([0, 1]))[1].tolist() == [1, 9]


def test_concat_dataset_indexes_across_the_boundary():
    joined = numbered(3) + numbered(4)
    assert isinstance(joined, ConcatDataset) and len(joined) == 7
    assert [int(joined[i][1].item()) for i in range(7)] == [0, 1, 2, 0, 1, 2, 3]
    assert int(joined[-1][1].item()) == 3
    with pytest.raises(IndexError):
        joined[7]


def test_random_split_counts_are_disjoint_and_cover_everything():
    parts = random_split(numbered(10), [6, 3, 1], generator=0)
    assert [len(p) for p in parts] == [6, 3, 1]
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen.tolist()) == list(range(10))


def test_random_split_fractions_match_pytorch():
    torch = pytest.importorskip("torch")
    for n, fractions in [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (101, [0.8, 0.1, 0.1])]:
        ours = [len(p) for p in random_split(numbered(n), fractions, generator=0)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
        assert ours == theirs


def test_random_split_repeats_with_a_seed_and_rejects_bad_lengths():
    a = random_split(numbered(20), [0.5, 0.5], generator=3)
    b = random_split(numbered(20), [0.5, 0.5], generator=3)
    assert np.array_equal(a[0].indices, b[0].indices)
    with pytest.raises(ValueError, match="sum to the dataset's length 20"):
        random_split(numbered(20), [5, 5])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(numbered(20), [0.5, 0.4])


# -- DataLoader -----------------------------------------------------------------------------


def test_batches_in_order_with_last_partial_batch():
    loader = DataLoader(numbered(10), batch_size=4)
    assert len(loader) == 3
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last_leaves_out_the_partial_batch():
    loader = DataLoader(numbered(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_batches_are_tensors_in_standard_dtypes():
    x, y = next(iter(DataLoader(numbered(10), batch_size=4)))
    assert isinstance(x, npgrad.Tensor) and isinstance(y, npgrad.Tensor)
    assert x.shape == (4, 3) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(x.numpy()[:, 0], y.numpy())  # inputs stay aligned with labels


def test_shuffle_visits_every_sample_once_in_a_new_order_each_epoch():
    loader = DataLoader(numbered(50), batch_size=8, shuffle=True, generator=1)
    first, second = (sum(labels_of(loader), []) for _ in range(2))
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != list(range(50)) and first != second


def test_shuffle_repeats_with_the_same_seed():
    def epochs(seed):
        loader = DataLoader(numbered(30), batch_size=7, shuffle=True, generator=seed)
        return [labels_of(loader) for _ in range(2)]

    assert epochs(5) == epochs(5)
    assert epochs(5) != epochs(6)


def test_shuffle_without_generator_follows_manual_seed():
    loader = DataLoader(numbered(30), batch_size=30, shuffle=True)
    npgrad.manual_seed(11)
    first = labels_of(loader)
    npgrad.manual_seed(11)
    assert labels_of(loader) == first


def test_whole_batches_are_fetched_with_one_call_when_the_dataset_can():
    calls = []

    class Spy(TensorDataset):
        def __getitem__(self, index):
            raise AssertionError("the fast path must not index single items")

        def get_batch(self, indices):
            calls.append(len(indices))
            return super().get_batch(indices)

    x, _ = numbered(10).tensors
    list(DataLoader(Subset(Spy(x, np.arange(10)), np.arange(9)), batch_size=4, shuffle=True))
    assert calls == [4, 4, 1]


def test_item_by_item_path_gives_the_same_batches():
    fast = DataLoader(numbered(10), batch_size=4, shuffle=True, generator=2)
    slow = DataLoader(ItemsOnly(10), batch_size=4, shuffle=True, generator=2)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert np.array_equal(xf.numpy(), xs.numpy()) and np.array_equal(yf.numpy(), ys.numpy())
        assert xs.dtype == np.float32 and ys.dtype == np.int64


def test_custom_collate_fn_gets_the_list_of_samples():
    loader = DataLoader(ItemsOnly(5), batch_size=2, collate_fn=lambda samples: [s[1] for s in samples])
    assert list(loader) == [[0, 1], [2, 3], [4]]


def test_batch_transform_changes_only_the_inputs():
    loader = DataLoader(numbered(6), batch_size=3, batch_transform=lambda x: -x)
    x, y = next(iter(loader))
    assert x.numpy()[:, 0].tolist() == [0, -1, -2] and y.numpy().tolist() == [0, 1, 2]


def test_sampler_chooses_the_indices():
    loader = DataLoader(numbered(10), batch_size=10, sampler=SubsetRandomSampler([1, 3, 5], generator=0))
    assert len(loader) == 1 and sorted(labels_of(loader)[0]) == [1, 3, 5]
    with_replacement = RandomSampler(numbered(10), replacement=True, num_samples=25, generator=0)
    assert len(with_replacement) == 25 and len(list(with_replacement)) == 25


def test_weighted_sampler_balances_the_classes():
    labels = np.array([0] * 90 + [1] * 10)  # a rare class, weighted up 9 times
    weights = np.where(labels == 1, 9.0, 1.0)
    sampler = WeightedRandomSampler(weights, 20_000, generator=npgrad.Generator().manual_seed(0))
    drawn = labels[np.array(list(sampler))]
    assert len(sampler) == 20_000 and abs(drawn.mean() - 0.5) < 0.015  # 4 standard errors of 0.0035
    repeat = WeightedRandomSampler(weights, 50, generator=3)
    assert list(repeat) != list(repeat)  # fresh draws every epoch ...
    assert list(WeightedRandomSampler(weights, 50, generator=3)) == list(
        WeightedRandomSampler(weights, 50, generator=3)
    )
    once_each = WeightedRandomSampler([1.0, 5.0, 0.5], 3, replacement=False, generator=0)
    assert sorted(once_each) == [0, 1, 2]
    with pytest.raises(ValueError, match="num_samples must be a positive int"):
        WeightedRandomSampler(weights, 0)


def test_loader_rejects_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        DataLoader(numbered(), batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(numbered(), shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="collate_fn"):
        DataLoader(numbered(), collate_fn=list, batch_transform=abs)


def test_default_collate_stacks_nested_samples():
    samples = [{"image": np.ones((2, 2), np.uint8), "label": i, "meta": (float(i), "name")} for i in range(3)]
    batch = default_collate(samples)
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == np.uint8
    assert batch["label"].dtype == np.int64 and batch["label"].numpy().tolist() == [0, 1, 2]
    assert batch["meta"][0].dtype == np.float32 and batch["meta"][1] == ["name"] * 3


def test_default_collate_names_the_problem():
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object()])


def test_base_dataset_needs_getitem():
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Dataset()[0]


# -- transforms -----------------------------------------------------------------------------


def images(n=6, c=2, h=7, w=9, seed=0):
    """Random float32 images without zeros, so zero fill is recognisable."""
    return np.random.default_rng(seed).uniform(0.1, 1.0, (n, c, h, w)).astype(np.float32)


def shifted(image, dy, dx):
    """image moved down by dy and right by dx, the uncovered border zero."""
    out = np.zeros_like(image)
    h, w = image.shape[-2:]
    out[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        ..., max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def shift_of(out, image, max_shift):
    """The (dy, dx) for which out is image shifted with zero fill, or None."""
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            if np.array_equal(out, shifted(image, dy, dx)):
                return dy, dx
    return None


def test_to_tensor_layouts_and_scaling():
    gray = np.full((4, 5), 255, np.uint8)
    assert T.ToTensor()(gray).shape == (1, 4, 5) and T.ToTensor()(gray).max() == 1.0
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    out = T.ToTensor()(rgb)
    assert out.shape == (3, 4, 5) and out.dtype == np.float32
    assert np.allclose(out[2], rgb[..., 2] / 255)
    assert T.ToTensor()(np.zeros((8, 4, 5, 1), np.uint8)).shape == (8, 1, 4, 5)
    with pytest.raises(ValueError, match=r"add a channel axis"):
        T.ToTensor()(np.zeros((8, 28, 28), np.uint8))


def test_normalize_gives_zero_mean_unit_std_per_channel():
    x = images(50) * np.array([1.0, 5.0], np.float32)[:, None, None]
    mean, std = x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))
    out = T.Normalize(mean, std)(x)
    assert out.dtype == np.float32
    assert np.allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert np.allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-4)
    assert np.allclose(T.Normalize(mean, std)(x[0]), out[0])  # one image (C, H, W) too


def test_normalize_errors_name_the_problem():
    with pytest.raises(TypeError, match="ToTensor"):
        T.Normalize((0.5,), (0.5,))(np.zeros((1, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="3 channels, the images have 2"):
        T.Normalize((0, 0, 0), (1, 1, 1))(images())


def test_random_crop_with_padding_is_a_zero_filled_shift():
    x = images(20)
    out = T.RandomCrop((7, 9), padding=2, generator=0)(x)
    assert out.shape == x.shape and out.dtype == np.float32
    shifts = [shift_of(o, i, 2) for o, i in zip(out, x)]
    assert None not in shifts and len(set(shifts)) > 1  # each image its own shift


def test_random_crop_to_a_smaller_size_is_a_window_of_the_image():
    x = images(5, h=10, w=10)
    out = T.RandomCrop(4, generator=1)(x)
    assert out.shape == (5, 2, 4, 4)
    for o, i in zip(out, x):
        windows = np.lib.stride_tricks.sliding_window_view(i, (4, 4), axis=(1, 2))
        assert any(np.array_equal(o, windows[:, r, c]) for r in range(7) for c in range(7))


def test_random_crop_single_image_and_size_error():
    assert T.RandomCrop(5, padding=1, generator=0)(images(1)[0]).shape == (2, 5, 5)
    with pytest.raises(ValueError, match="larger than the padded image"):
        T.RandomCrop(20, padding=1)(images())


def test_random_shift_stays_within_max_shift():
    x = images(20)
    out = T.RandomShift(1, generator=4)(x)
    assert all(shift_of(o, i, 1) is not None for o, i in zip(out, x))


def test_horizontal_flip_twice_is_identity():
    x = images()
    flip = T.RandomHorizontalFlip(p=1.0)
    assert np.array_equal(flip(x), x[..., ::-1])
    assert np.array_equal(flip(flip(x)), x)
    assert np.array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)


def test_horizontal_flip_decides_per_image():
    x = images(200)
    out = T.RandomHorizontalFlip(p=0.5, generator=0)(x)
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert np.all(flipped ^ kept) and 70 < flipped.sum() < 130


def test_affine_translation_only_is_a_whole_pixel_shift():
    x = images(20, h=10, w=10)
    out = T.RandomAffine(translate=(0.2, 0.2), generator=0)(x)
    shifts = [shift_of(o, i, 2) for o, i in zip(out, x)]
    assert None not in shifts and len(set(shifts)) > 1


def test_affine_rotation_turns_counter_clockwise():
    x = images(3, h=8, w=8)
    out = T.RandomAffine(degrees=(90, 90))(x)
    assert np.allclose(out, np.rot90(x, k=1, axes=(2, 3)), atol=1e-5)


def test_random_resized_crop_of_the_whole_image_is_the_image():
    x = images(4, c=2, h=12, w=12)
    crop = T.RandomResizedCrop(12, scale=(1.0, 1.0), ratio=(1.0, 1.0), generator=0)
    np.testing.assert_allclose(crop(x), x, atol=1e-6)


def test_random_resized_crop_zooms_each_image_differently():
    x = np.tile(np.arange(16, dtype=np.float32), (6, 1, 16, 1))  # every row 0..15
    out = T.RandomResizedCrop(8, scale=(0.1, 0.5), generator=0)(x)
    assert out.shape == (6, 1, 8, 8)
    widths = out[:, 0, 0, -1] - out[:, 0, 0, 0]  # a crop of w source pixels spans about w - w / 8
    assert widths.max() < 15 and len(np.unique(np.round(widths, 3))) == 6
    assert T.RandomResizedCrop((5, 9), generator=0)(x[0]).shape == (1, 5, 9)


def test_random_erasing_sets_one_box_per_image():
    x = np.ones((50, 1, 20, 20), dtype=np.float32)
    out = T.RandomErasing(p=1.0, scale=(0.05, 0.2), value=0.0, generator=0)(x)
    for image in out[:, 0]:
        rows, cols = np.nonzero(image == 0)
        assert (image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] == 0).all()  # a full box
        assert 0.02 * 400 <= len(rows) <= 0.3 * 400
    np.testing.assert_array_equal(T.RandomErasing(p=0.0)(x), x)
    assert 0.3 < (T.RandomErasing(p=0.5, generator=0)(x) == 0).any(axis=(1, 2, 3)).mean() < 0.7


def test_random_transforms_repeat_with_a_seed_and_vary_between_calls():
    x = images(16, h=12, w=12)
    for make in [
        lambda g: T.RandomCrop(12, padding=3, generator=g),
        lambda g: T.RandomHorizontalFlip(generator=g),
        lambda g: T.RandomAffine(10, (0.1, 0.1), scale=(0.9, 1.1), generator=g),
        lambda g: T.RandomResizedCrop(10, generator=g),
        lambda g: T.RandomErasing(p=1.0, generator=g),
    ]:
        first, again = make(7), make(7)
        out = first(x)
        assert np.array_equal(out, again(x))
        assert not np.array_equal(out, first(x))


def test_compose_in_a_dataloader_batch_transform():
    x = (images(12, c=3) * 255).astype(np.uint8).transpose(0, 2, 3, 1)  # stored as (N, H, W, C)
    augment = T.Compose(
        [T.ToTensor(), T.RandomCrop((7, 9), padding=1, generator=0), T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))]
    )
    batch, labels = next(iter(DataLoader(TensorDataset(x, np.arange(12)), 5, batch_transform=augment)))
    assert batch.shape == (5, 3, 7, 9) and batch.dtype == np.float32 and labels.shape == (5,)
