"""torch.nn.modules.conv's names."""

from ..conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, _ConvNd
