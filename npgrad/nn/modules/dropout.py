"""torch.nn.modules.dropout's names."""

from ..dropout import Dropout
from ..spatial import Dropout2d
