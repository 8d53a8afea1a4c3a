"""Optimizers and learning-rate schedulers, with PyTorch's names, options and update rules."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adam_variants import Adamax, NAdam, RAdam
from .adamw import AdamW
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .param_groups import weight_decay_groups
from .rmsprop import RMSprop
from .sgd import SGD
