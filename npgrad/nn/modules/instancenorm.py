"""torch.nn.modules.instancenorm's names."""

from ..normalization import InstanceNorm1d, InstanceNorm2d, _InstanceNorm
