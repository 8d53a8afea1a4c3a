"""Evaluation metrics that are not training losses: FID and the feature extractors it needs."""

from .extractor import EXTRACTORS, FeatureCNN, FeatureExtractor, fid_images
from .fid import feature_statistics, fid, frechet_distance
