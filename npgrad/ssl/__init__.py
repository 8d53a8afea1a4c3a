"""Self-supervised learning: pretext tasks and contrastive learning, judged by linear probes.

Every method takes the same encoder (ConvEncoder or any module with a `feature_dim`), trains it
on a task made from unlabelled images, and hands it back for a linear probe or fine-tuning:

    encoder = ConvEncoder()
    method = Rotation(encoder)            # or ContextEncoder, ContextPrediction, Jigsaw, SimCLR
    logs = pretrain(method, images, steps=500)
    linear_probe(encoder, (x, y), (x_test, y_test))   # {0.01: ..., 0.1: ..., 1.0: ...}
"""

from .augment import simclr_augmentation
from .autoencoder import AutoencoderPretext
from .context_prediction import ContextPrediction
from .encoder import ConvEncoder
from .evaluation import classifier, extract_features, fine_tune, labelled_subset, linear_probe
from .inpainting import ContextEncoder
from .jigsaw import Jigsaw, maximal_hamming_permutations, minimum_hamming_distance
from .method import PretextTrainer, SelfSupervised, evaluate_pretext, pretrain
from .patches import grid_patches
from .rotation import Rotation, rotations
from .simclr import SimCLR, contrastive_accuracy

__all__ = [
    "AutoencoderPretext",
    "ContextEncoder",
    "ContextPrediction",
    "ConvEncoder",
    "Jigsaw",
    "PretextTrainer",
    "Rotation",
    "SelfSupervised",
    "SimCLR",
    "classifier",
    "contrastive_accuracy",
    "evaluate_pretext",
    "extract_features",
    "fine_tune",
    "grid_patches",
    "labelled_subset",
    "linear_probe",
    "maximal_hamming_permutations",
    "minimum_hamming_distance",
    "pretrain",
    "rotations",
    "simclr_augmentation",
]
