"""Tools for looking inside models: gradient flow, activations, plots."""
from .gradients import activation_recorder, grad_norms  # noqa: F401
