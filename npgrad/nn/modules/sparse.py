"""torch.nn.modules.sparse's names."""

from ..sparse import Embedding
