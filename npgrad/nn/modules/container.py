"""torch.nn.modules.container's names."""

from ..containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
