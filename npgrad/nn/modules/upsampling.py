"""torch.nn.modules.upsampling's names."""

from ..spatial import Upsample
