"""torch.nn.modules.upsampling's names."""
from ..spatial import Upsample  # noqa: F401
