"""Every differentiable operation, grouped by family; each forward has its backward beside it.

This package is where the ops are written. Code reaches them by PyTorch's paths: functions as
npgrad.nn.functional.x, tensor ops as npgrad.x and Tensor methods, autograd ops as the
<Name>Function classes defined here.
"""
