"""What the image-classification data sets (MNIST, Fashion-MNIST, Sign Language MNIST) share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..data.dataset import Dataset
from ..data.collate import stack_samples
from ..data.transforms import ToTensor, handles_batches


class ImageClassificationDataset(Dataset):
    """Images with one label each.

    data: the images as stored, uint8 (N, H, W) (as in torchvision); targets: int64 (N,);
    classes: the class names, classes[label].

    dataset[i] is (image, label): the image as a float32 Tensor (1, H, W) in [0, 1] and the label
    as an int (or what `target_transform` makes of it). As in torchvision, the arguments are
    (root, train, transform, target_transform, download). A `transform` replaces that
    conversion: like torchvision's, it receives the stored
    image, here uint8 (H, W, 1), so it starts with ToTensor(), e.g.
    Compose([ToTensor(), Normalize((0.1307,), (0.3081,))]). When the DataLoader fetches a
    whole batch (get_batch), a transform that handles batches (ToTensor, Normalize, ...: see
    transforms.handles_batches) receives the batch, uint8 (n, H, W, 1); any other (a Lambda)
    receives the images one by one.

    For whole-array training (Keras-style fit, or a hand-written loop) use arrays().
    """

    classes: Sequence[str] = ()

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray,
        train: bool,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        if len(data) != len(targets):
            raise ValueError(f"{type(self).__name__}: {len(data)} images but {len(targets)} labels")
        self.data = data
        self.targets = targets
        self.train = train
        self.transform = transform if transform is not None else ToTensor()
        self.target_transform = target_transform if target_transform is not None else _identity

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.transform(self.data[index][..., None]), self.target_transform(int(self.targets[index]))

    def get_batch(self, indices: np.ndarray) -> tuple[Any, Any]:
        """The images and labels of a batch, fetched with one fancy index."""
        images, targets = self.data[indices][..., None], self.targets[indices]
        if handles_batches(self.transform):
            images = self.transform(images)
        else:
            images = stack_samples([self.transform(image) for image in images])
        if self.target_transform is not _identity:
            targets = stack_samples([self.target_transform(int(t)) for t in targets])
        return images, targets

    def arrays(self, normalize: bool = True, flatten: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """All images and labels at once: x float32 (N, 1, H, W), or (N, H*W) with
        flatten=True, scaled to [0, 1] unless normalize=False (then 0..255); y int64 (N,).
        The transform is not applied."""
        x = self.data.astype(np.float32)
        if normalize:
            x /= 255
        x = x.reshape(len(x), -1) if flatten else x[:, None]
        return x, self.targets.copy()

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}({split}: {len(self)} images {self.data.shape[1:]}, {len(self.classes)} classes)"


def _identity(x: Any) -> Any:
    return x
