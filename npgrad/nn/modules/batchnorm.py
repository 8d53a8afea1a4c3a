"""torch.nn.modules.batchnorm's names."""

from ..normalization import BatchNorm1d, BatchNorm2d, _BatchNorm
