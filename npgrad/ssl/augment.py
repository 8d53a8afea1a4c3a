"""The two-view augmentation of SimCLR for small grey images, from npgrad.data.transforms
(RandomResizedCrop, RandomHorizontalFlip, RandomAffine, RandomErasing) and npgrad.models'
GaussianNoise: each draws its parameters per image but transforms the whole batch at once."""

from __future__ import annotations

from ..data import _rng
from ..data.transforms import Compose, RandomAffine, RandomErasing, RandomHorizontalFlip, RandomResizedCrop
from ..models.autoencoder import GaussianNoise
from ..types import _generator, _size_2_t


# the augmentation presets: "strong" as in the SimCLR paper's spirit (crop to 30 % of the area,
# erasing); "mild", chosen for short pretraining on 28x28 images in the self-supervised
# comparison (on a validation split), crops less, turns and blurs less and does not erase
STRENGTHS = {
    "strong": {"crop_scale": (0.3, 1.0), "degrees": 15, "noise_std": 0.1, "erasing": 0.5},
    "mild": {"crop_scale": (0.5, 1.0), "degrees": 10, "noise_std": 0.05, "erasing": 0.0},
}


def simclr_augmentation(size: _size_2_t = 28, strength: str = "strong", generator: _generator | None = None) -> Compose:
    """The two-view augmentation for small grey images: random resized crop, flip, a small
    rotation and shift (up to 10 %), Gaussian noise and, if the preset erases, random erasing;
    how much of each is STRENGTHS[strength]. One seed (or Generator) drives them all."""
    if strength not in STRENGTHS:
        raise ValueError(f"simclr_augmentation: strength must be one of {', '.join(STRENGTHS)}, got {strength!r}")
    preset, rng = STRENGTHS[strength], _rng.seeded(generator)
    steps = [
        RandomResizedCrop(size, scale=preset["crop_scale"], generator=rng),
        RandomHorizontalFlip(generator=rng),
        RandomAffine(degrees=preset["degrees"], translate=(0.1, 0.1), generator=rng),
        GaussianNoise(preset["noise_std"], generator=rng),
    ]
    if preset["erasing"]:
        steps.append(RandomErasing(p=preset["erasing"], scale=(0.02, 0.2), generator=rng))
    return Compose(steps)
