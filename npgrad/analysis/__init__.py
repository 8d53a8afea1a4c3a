"""Tools for looking inside models: summary (parameters, MACs), gradient flow, activations, plots."""
from .gradients import activation_recorder, grad_norms  # noqa: F401
from .summary import summary  # noqa: F401
