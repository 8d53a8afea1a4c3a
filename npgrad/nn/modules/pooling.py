"""torch.nn.modules.pooling's names."""

from ..pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, _MaxPoolNd
