"""torch.nn.modules.distance's names."""

from ..distance import CosineSimilarity, PairwiseDistance
