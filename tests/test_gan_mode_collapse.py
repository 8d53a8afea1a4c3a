"""The gan-mode-collapse lesson: its measures of coverage, the packed discriminator, and a quick run."""

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F
from npgrad.lessons.gan_mode_collapse import CONFIG, PackedDiscriminator, mode_coverage, ring_centres, ring_samples


def test_real_ring_samples_cover_every_mode_and_are_all_high_quality():
    points = ring_samples(4_000, CONFIG, np.random.default_rng(0))
    assert mode_coverage(points, CONFIG) == (8, pytest.approx(1 - np.exp(-4.5), abs=0.005))  # P(r <= 3 std) in 2-D


def test_a_collapsed_generator_covers_one_mode():
    centre = ring_centres(8, 2.0)[3]
    points = (centre + 0.01 * np.random.default_rng(0).standard_normal((1_000, 2))).astype(np.float32)
    assert mode_coverage(points, CONFIG) == (1, 1.0)


def test_points_between_the_modes_are_not_high_quality():
    centres = ring_centres(8, 2.0)
    midpoints = (centres + np.roll(centres, 1, axis=0)) / 2
    assert mode_coverage(np.repeat(midpoints, 10, axis=0), CONFIG) == (0, 0.0)


def test_a_mode_needs_one_percent_of_the_points():
    centres = ring_centres(8, 2.0)
    points = np.concatenate([np.repeat(centres[:1], 990, axis=0), np.repeat(centres[1:2], 9, axis=0)])
    assert mode_coverage(points, CONFIG)[0] == 1  # 9 of 999 points is under 1 %


def test_packed_discriminator_judges_packs_and_keeps_the_batch_loss():
    npgrad.manual_seed(0)
    d = PackedDiscriminator(hidden=8, pack=4)
    points = npgrad.randn(12, 2, requires_grad=True)
    logits = d(points)
    assert logits.shape == (12, 1)
    per_pack = d.body(points.reshape(3, 8))  # the same weights on the concatenated packs
    np.testing.assert_allclose(logits.detach().numpy()[::4], per_pack.detach().numpy(), rtol=1e-6)
    target = npgrad.ones(12, 1)
    batch_loss = F.binary_cross_entropy_with_logits(logits, target)
    pack_loss = F.binary_cross_entropy_with_logits(per_pack, npgrad.ones(3, 1))
    assert batch_loss.item() == pytest.approx(pack_loss.item(), rel=1e-6)
    batch_loss.backward()
    grad_batch = points.grad.numpy().copy()
    points.grad = None
    pack_loss.backward()
    np.testing.assert_allclose(grad_batch, points.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_packed_discriminator_refuses_a_batch_that_does_not_split():
    with pytest.raises(ValueError, match="packs of 4"):
        PackedDiscriminator(hidden=8, pack=4)(npgrad.randn(10, 2))


def test_quick_lesson_moves_the_generator_onto_the_ring(quick_lesson):
    result = quick_lesson("gan-mode-collapse")[0]
    for name in ("GAN", "PacGAN-4"):
        assert len(result[name]["modes"]) == 1 and len(result[name]["modes"][0]) == result["config"]["epochs"]
        distance = result[name]["distance"][0]
        assert min(distance[1:]) < 0.6 * distance[0], distance  # the points move from the origin to the ring
