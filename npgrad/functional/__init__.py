"""Every differentiable operation, grouped by family; each forward has its backward beside it."""
