"""torch.nn.modules.dropout's names."""
from ..dropout import Dropout  # noqa: F401
from ..spatial import Dropout2d  # noqa: F401
