"""npgrad.ssl: NT-Xent against its formula, the pretext tasks' data, the augmentations, the
shared encoder interface, the evaluation, and the lessons' smoke tests."""

import os

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F
from npgrad import nn
from npgrad.ssl import (
    AutoencoderPretext,
    ContextEncoder,
    ContextPrediction,
    ConvEncoder,
    Jigsaw,
    Rotation,
    SimCLR,
    contrastive_accuracy,
    evaluate_pretext,
    grid_patches,
    labelled_subset,
    linear_probe,
    maximal_hamming_permutations,
    minimum_hamming_distance,
    rotations,
    simclr_augmentation,
)

METHODS = [AutoencoderPretext, ContextEncoder, ContextPrediction, Jigsaw, Rotation, SimCLR]


def nt_xent_by_the_formula(z1, z2, t):
    """The mean over the 2N rows of -log(exp(s_i,pos / t) / sum_{k != i} exp(s_ik / t)), one row at a time."""
    z = np.concatenate([z1, z2]).astype(np.float64)
    rows, losses = len(z), []
    for i in range(rows):
        similarity = [z[i] @ z[k] / (np.linalg.norm(z[i]) * np.linalg.norm(z[k])) / t for k in range(rows)]
        others = sum(np.exp(similarity[k]) for k in range(rows) if k != i)
        losses.append(-np.log(np.exp(similarity[(i + rows // 2) % rows]) / others))
    return np.mean(losses)


@pytest.mark.parametrize("n,d,t", [(4, 3, 0.5), (7, 16, 0.1), (1, 5, 1.0)])
def test_nt_xent_equals_the_formula(n, d, t):
    rng = np.random.default_rng(n)
    z1, z2 = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    loss = F.nt_xent(npgrad.tensor(z1), npgrad.tensor(z2), t)
    assert loss.dtype == np.float64 and loss.shape == ()
    np.testing.assert_allclose(loss.item(), nt_xent_by_the_formula(z1, z2, t), rtol=1e-12)


def test_nt_xent_is_low_when_the_views_agree():
    z = npgrad.tensor(np.eye(8, dtype=np.float32) * 3)
    noise = npgrad.randn(8, 8)
    assert F.nt_xent(z, z, 0.1).item() < 0.01 < F.nt_xent(z, noise, 0.1).item()


@pytest.mark.parametrize(
    "z1,z2,t,message",
    [
        ((4, 3), (4, 2), 0.5, "one shape"),
        ((4,), (4,), 0.5, r"\(N, D\)"),
        ((4, 3), (4, 3), 0.0, "temperature"),
    ],
)
def test_nt_xent_errors(z1, z2, t, message):
    with pytest.raises(ValueError, match=message):
        F.nt_xent(npgrad.randn(*z1), npgrad.randn(*z2), t)


def test_nt_xent_refuses_integer_input():
    with pytest.raises(TypeError, match="nt_xent"):
        F.nt_xent(npgrad.tensor([[1, 2]]), npgrad.tensor([[1, 2]]))


def test_contrastive_accuracy():
    z = np.eye(4)
    assert contrastive_accuracy(z, z) == 1.0
    assert contrastive_accuracy(z, z[::-1]) == 0.0  # each view's twin is in the other batch, not at its partner's place


# --------------------------------------------------------------- pretext data
def test_maximal_hamming_permutations():
    chosen = maximal_hamming_permutations(64)
    assert chosen.shape == (64, 9) and chosen.dtype == np.int64
    assert (np.sort(chosen, axis=1) == np.arange(9)).all()  # each row a permutation
    assert len({tuple(row) for row in chosen}) == 64
    random_set = np.array([np.random.default_rng(s).permutation(9) for s in range(64)])
    assert minimum_hamming_distance(chosen) >= 7 > minimum_hamming_distance(random_set) + 2
    np.testing.assert_array_equal(chosen, maximal_hamming_permutations(64))  # seeded


def test_maximal_hamming_permutations_errors():
    with pytest.raises(ValueError, match="only 6 permutations"):
        maximal_hamming_permutations(7, size=3)


@pytest.mark.parametrize("patch,gap,jitter", [(6, 3, 1), (7, 2, 1), (8, 2, 0)])
def test_grid_patches_are_the_image_at_their_corners(patch, gap, jitter):
    images = np.random.default_rng(0).random((5, 2, 28, 28), dtype=np.float32)
    patches, corners = grid_patches(images, patch, gap, jitter, np.random.default_rng(1))
    assert patches.shape == (5, 9, 2, patch, patch)
    for n in range(5):
        for k, (top, left) in enumerate(corners[n]):
            np.testing.assert_array_equal(patches[n, k], images[n, :, top : top + patch, left : left + patch])
    grid = corners.reshape(5, 3, 3, 2)
    steps = np.concatenate([np.diff(grid[..., 0], axis=1).ravel(), np.diff(grid[..., 1], axis=2).ravel()])
    assert steps.min() >= patch + gap - 2 * jitter and steps.max() <= patch + gap + 2 * jitter
    assert corners.min() >= 0 and corners.max() <= 28 - patch


def test_grid_patches_too_big():
    with pytest.raises(ValueError, match="need 32 pixels"):
        grid_patches(np.zeros((1, 1, 28, 28), np.float32), 8, 3, 1, np.random.default_rng(0))


def test_rotations_turn_each_image():
    images = np.random.default_rng(0).random((3, 1, 5, 5), dtype=np.float32)
    turned, labels = rotations(images)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(4), 3))
    for k in range(4):
        for n in range(3):
            np.testing.assert_array_equal(turned[3 * k + n, 0], np.rot90(images[n, 0], k))


def test_jigsaw_tiles_follow_the_permutation():
    method = Jigsaw(ConvEncoder(), permutations=8, generator=0)
    images = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
    tiles, labels = method.pretext_batch(images)
    in_order, _ = grid_patches(images, 7, 2, 1, np.random.default_rng(0))  # the same draws as the method's
    for n in range(4):
        np.testing.assert_array_equal(tiles[n], in_order[n, method.permutations[labels[n]]])


# --------------------------------------------------------------- methods and the encoder interface
class TinyEncoder(nn.Module):
    """Any module with a feature_dim fits every method."""

    def __init__(self):
        super().__init__()
        self.feature_dim = 8
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, images):
        return self.net(images)


@pytest.mark.parametrize("method_class", METHODS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("encoder_class", [ConvEncoder, TinyEncoder])
def test_every_method_trains_any_encoder(method_class, encoder_class):
    encoder = encoder_class()
    method = method_class(encoder, generator=0)
    images = np.random.default_rng(0).random((6, 1, 28, 28), dtype=np.float32)
    loss, logs = method.pretext_loss(npgrad.tensor(images))
    assert loss.shape == () and np.isfinite(logs["loss"]) and abs(logs["loss"] - loss.item()) < 1e-6
    loss.backward()
    assert all(p.grad is not None and np.abs(np.asarray(p.grad)).sum() > 0 for p in encoder.parameters())


def test_rotation_head_is_linear_or_an_mlp():
    assert isinstance(Rotation(ConvEncoder()).head, nn.Linear)
    method = Rotation(ConvEncoder(), hidden=32, generator=0)
    assert [type(layer) for layer in method.head] == [nn.Linear, nn.ReLU, nn.Linear]
    assert method.head[0].out_features == 32 and method.head[2].out_features == 4
    loss, _ = method.pretext_loss(np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32))
    loss.backward()
    assert np.abs(np.asarray(method.head[0].weight.grad)).sum() > 0


def test_simclr_augmentation_presets():
    from npgrad.data.transforms import RandomErasing, RandomResizedCrop

    strong, mild = (simclr_augmentation(strength=name, generator=0).transforms for name in ("strong", "mild"))
    assert isinstance(strong[-1], RandomErasing) and not any(isinstance(t, RandomErasing) for t in mild)
    assert isinstance(mild[0], RandomResizedCrop) and mild[0].scale == (0.5, 1.0)
    images = np.random.default_rng(0).random((4, 1, 20, 20), dtype=np.float32)
    (view, _), _ = SimCLR(ConvEncoder(), augmentation="mild", generator=0).pretext_batch(images)
    assert view.shape == images.shape and not np.array_equal(view, images)
    with pytest.raises(ValueError, match="strong, mild"):
        SimCLR(ConvEncoder(), augmentation="heavy")


def test_a_module_without_feature_dim_is_refused():
    with pytest.raises(TypeError, match="feature_dim"):
        Rotation(nn.Linear(4, 4))


def test_evaluate_pretext_repeats_and_leaves_the_generator_alone():
    method = ContextPrediction(ConvEncoder(), generator=0)
    images = np.random.default_rng(0).random((20, 1, 28, 28), dtype=np.float32)
    state = method.generator.bit_generator.state
    assert evaluate_pretext(method, images, batch_size=8) == evaluate_pretext(method, images, batch_size=8)
    assert method.generator.bit_generator.state == state


# --------------------------------------------------------------- evaluation
def test_labelled_subset_is_balanced_and_seeded():
    labels = np.repeat(np.arange(10), 100)
    chosen = labelled_subset(labels, 0.05, seed=3)
    np.testing.assert_array_equal(np.bincount(labels[chosen]), [5] * 10)
    np.testing.assert_array_equal(chosen, labelled_subset(labels, 0.05, seed=3))
    assert len(labelled_subset(labels, 0.001)) == 10  # at least one per class


class MeanEncoder(nn.Module):
    """Features: the mean of each image quarter (no parameters to learn)."""

    feature_dim = 4

    def forward(self, images):
        return nn.functional.adaptive_avg_pool2d(images, 2).reshape(images.shape[0], 4)


def test_linear_probe_reads_informative_features():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 800)
    images = rng.random((800, 1, 8, 8), dtype=np.float32) * 0.5
    for label in range(4):  # class k is brighter in quarter k
        rows, cols = divmod(label, 2)
        images[labels == label, :, 4 * rows : 4 * rows + 4, 4 * cols : 4 * cols + 4] += 0.5
    train, test = (images[:600], labels[:600]), (images[600:], labels[600:])
    accuracy = linear_probe(MeanEncoder(), train, test, fractions=(0.02, 1.0), steps=200)
    assert accuracy[1.0] > 0.95 and accuracy[0.02] > 0.8


def test_every_stage_features_pool_each_stage_and_end_in_the_last_features():
    encoder = ConvEncoder(widths=(4, 6, 8))
    images = npgrad.tensor(np.random.default_rng(0).random((3, 1, 12, 12), dtype=np.float32))
    with npgrad.no_grad():
        features = encoder.every_stage_features(images).numpy()
        last = encoder(images).numpy()
        first_stage = encoder.features[2](encoder.features[1](encoder.features[0](images))).numpy()  # conv, BN, ReLU
    assert features.shape == (3, 4 + 6 + 8)
    np.testing.assert_allclose(features[:, -8:], last, rtol=1e-6)
    np.testing.assert_allclose(features[:, :4], first_stage.mean(axis=(2, 3)), rtol=1e-5)
    with pytest.raises(ValueError, match=r"ConvEncoder: expected images \(N, 1, H, W\)"):
        encoder.every_stage_features(npgrad.zeros(2, 3, 12, 12))


def test_linear_probe_on_every_stage_needs_an_encoder_that_has_them():
    rng = np.random.default_rng(0)
    images, labels = rng.random((40, 1, 8, 8), dtype=np.float32), np.arange(40) % 4
    with pytest.raises(TypeError, match="every_stage_features"):
        linear_probe(MeanEncoder(), (images, labels), (images, labels), fractions=(1.0,), steps=5, every_stage=True)
    accuracy = linear_probe(ConvEncoder(), (images, labels), (images, labels), (1.0,), steps=5, every_stage=True)
    assert 0 <= accuracy[1.0] <= 1


# --------------------------------------------------------------- lessons
def _fashion_mnist_root():
    here = os.path.dirname(os.path.abspath(__file__))
    for root in (os.environ.get("NPGRAD_DATA", ""), os.path.join(here, "..", "..", "shared", "data")):
        if root and os.path.isdir(os.path.join(root, "fashion-mnist")):
            return root
    pytest.skip("Fashion-MNIST not found under $NPGRAD_DATA or ../shared/data")


@pytest.fixture
def run_quick(quick_lesson, monkeypatch):
    """quick_lesson with Fashion-MNIST found (the script inherits NPGRAD_DATA)."""
    monkeypatch.setenv("NPGRAD_DATA", _fashion_mnist_root())
    return quick_lesson


@pytest.mark.parametrize(
    "lesson,measure,floor",
    [
        ("rotation", "accuracy", 0.4),  # chance 0.25
        ("context-prediction", "accuracy", 0.3),  # chance 0.125
        ("jigsaw", "accuracy", 0.5),  # chance 1/64
    ],
)
def test_classification_pretext_lessons_learn_their_task(lesson, measure, floor, run_quick):
    result, out, _ = run_quick(lesson)
    assert result["pretext_before"][measure] < floor - 0.1 < floor < result["pretext_after"][measure]
    assert set(result["probe_pretrained"]) == {"0.1", "1.0"}
    assert (out / "pretext_task.png").exists() and (out / "pretext_curve.png").exists()


def test_context_encoder_lesson_learns_to_fill_the_hole(run_quick):
    result = run_quick("context-encoder")[0]
    assert result["pretext_after"]["loss"] < 0.6 * result["pretext_before"]["loss"]


def test_simclr_lesson_pulls_the_views_together(run_quick):
    result = run_quick("simclr")[0]
    assert result["pretext_after"]["loss"] < result["pretext_before"]["loss"] - 0.5


def test_self_supervised_comparison_lesson(run_quick, monkeypatch):
    from npgrad.lessons import self_supervised_comparison as comparison

    result, out, _ = run_quick("self-supervised-comparison")
    (summary,) = result["datasets"]
    table = summary["table"]
    assert set(table) == {"random encoder", "rotation", "supervised"}
    random, supervised = table["random encoder"]["probe"]["1.0"], table["supervised"]["probe"]["1.0"]
    assert supervised["mean"] > random["mean"] + 0.03
    assert table["random encoder"]["pretrain_steps"] == 0 and table["rotation"]["pretrain_steps"] == 40
    assert table["random encoder"]["probe_gain_over_random"]["mean"] == 0
    assert (out / "features_pca_fashion-mnist.png").exists() and (out / "pretext_curves_fashion-mnist.png").exists()

    def pretrained_again(*args):
        raise AssertionError("a rerun with the same settings pretrained again")

    monkeypatch.setattr(comparison, "evaluate_method", pretrained_again)
    monkeypatch.setattr(comparison, "pyplot_or_none", lambda: None)
    again = comparison.run_dataset("fashion-mnist", str(out), {**comparison.CONFIG, **comparison.QUICK})
    assert again["table"] == table
