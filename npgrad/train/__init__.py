"""Training: the Trainer (fit / evaluate / predict / resume), callbacks and metrics.

from npgrad.train import Trainer, ProgressBar, EarlyStopping, ModelCheckpoint
"""

from . import callbacks, metrics
from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    StepLosses,
    StepProgress,
    TerminateOnNaN,
)
from .metrics import accuracy, confusion_matrix, get_metric, register_metric, top_k_accuracy
from .trainer import Trainer
