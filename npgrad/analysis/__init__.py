"""Tools for looking inside models: summary (parameters, MACs), gradient flow, activations, plots."""

from .gradients import activation_recorder, grad_norms
from .summary import summary
