"""torch.nn.modules.activation's names."""
from ..activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh  # noqa: F401
from ..attention import MultiheadAttention  # noqa: F401
