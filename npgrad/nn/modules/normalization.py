"""torch.nn.modules.normalization's names."""

from ..normalization import LayerNorm
