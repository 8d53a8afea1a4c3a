"""The two-view augmentation of SimCLR for small grey images, from npgrad.data.transforms
(RandomResizedCrop, RandomHorizontalFlip, RandomAffine, RandomErasing) and npgrad.models'
GaussianNoise: each draws its parameters per image but transforms the whole batch at once."""

from ..data import _rng
from ..data.transforms import Compose, RandomAffine, RandomErasing, RandomHorizontalFlip, RandomResizedCrop
from ..models.autoencoder import GaussianNoise


def simclr_augmentation(size=28, generator=None):
    """The two-view augmentation for small grey images: random resized crop (scale 0.3-1), flip,
    a small rotation and shift, Gaussian noise (std 0.1) and random erasing. One seed (or
    Generator) drives them all."""
    rng = _rng.seeded(generator)
    return Compose(
        [
            RandomResizedCrop(size, scale=(0.3, 1.0), generator=rng),
            RandomHorizontalFlip(generator=rng),
            RandomAffine(degrees=15, translate=(0.1, 0.1), generator=rng),
            GaussianNoise(0.1, generator=rng),
            RandomErasing(p=0.5, scale=(0.02, 0.2), generator=rng),
        ]
    )
