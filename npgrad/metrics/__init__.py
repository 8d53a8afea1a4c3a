"""Evaluation metrics that are not training losses: FID and the feature extractors it needs."""
from .fid import feature_statistics, fid, frechet_distance  # noqa: F401
