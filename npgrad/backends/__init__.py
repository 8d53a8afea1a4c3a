"""`npgrad.backends.mps` and `npgrad.backends.cudnn`, for teaching code that checks them."""

from types import SimpleNamespace

from .. import cuda

mps = SimpleNamespace(is_available=cuda.is_available, is_built=cuda.is_available)
cudnn = SimpleNamespace(is_available=cuda.is_available, deterministic=False, benchmark=False, enabled=False)
