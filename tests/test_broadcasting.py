"""Binary ops on random broadcastable shapes (hypothesis) match PyTorch, values and gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import npgrad

torch = pytest.importorskip("torch")

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),
    "maximum": lambda a, b: a.maximum(b) if isinstance(a, npgrad.Tensor) else torch.maximum(a, b),
    "matmul_then_add": lambda a, b: (a + b) @ (a + b).transpose(-1, -2) if (a + b).ndim >= 2 else a * b,
}


@settings(max_examples=25, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    op=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_broadcast_like_torch(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a_np, b_np = (rng.standard_normal(s).astype(np.float32) for s in shapes.input_shapes)
    a, b = npgrad.tensor(a_np, requires_grad=True), npgrad.tensor(b_np, requires_grad=True)
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    out, t_out = BINARY[op](a, b), BINARY[op](ta, tb)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-4, atol=1e-5)
    upstream = rng.standard_normal(t_out.shape).astype(np.float32)
    (out * npgrad.tensor(upstream)).sum().backward()
    (t_out * torch.from_numpy(upstream)).sum().backward()
    for mine, theirs in ((a, ta), (b, tb)):
        assert mine.grad.shape == mine.shape and mine.grad.dtype == np.float32
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-4, atol=1e-4)
