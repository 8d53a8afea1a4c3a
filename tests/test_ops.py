"""Every registered op: float64 gradcheck, and forward/backward parity with PyTorch."""

import inspect

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as ngF
from npgrad.autograd import Function
from registry import load_all

try:  # the gradchecks need only NumPy; the parity tests compare with PyTorch
    import torch

    tF = torch.nn.functional
except ImportError:
    torch = tF = None
needs_torch = pytest.mark.skipif(
    torch is None,
    reason="PyTorch is not installed (pip install -e '.[test]'); the float32 parity tests compare with it",
)

SPECS = load_all()
CASES = [(spec, i) for spec in SPECS for i in range(len(spec.cases))]
IDS = [f"{spec.name}-{i}" for spec, i in CASES]


def make_inputs(spec, case, seed=0):
    rng = np.random.default_rng(seed)
    return [(arg, arg.make(rng)) for arg in spec.cases[case]]


def to_npgrad(arg, raw, dtype):
    if arg.kind == "value":
        return raw
    if arg.kind in ("int", "bool"):
        return npgrad.tensor(raw)
    return npgrad.tensor(raw, dtype=dtype, requires_grad=arg.grad)


def to_torch(arg, raw, dtype):
    if arg.kind == "value":
        return raw
    if arg.kind in ("int", "bool"):
        return torch.from_numpy(raw)
    return torch.tensor(raw, dtype=dtype, requires_grad=arg.grad)


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


@pytest.mark.parametrize("spec,case", CASES, ids=IDS)
def test_gradcheck_float64(spec, case):
    if not spec.gradcheck:
        pytest.skip(f"{spec.name}: not differentiable in a way finite differences can check")
    inputs = [to_npgrad(a, r, np.float64) for a, r in make_inputs(spec, case)]
    if not any(isinstance(x, npgrad.Tensor) and x.requires_grad for x in inputs):
        pytest.skip("no differentiable input")
    assert npgrad.gradcheck(
        lambda *xs: spec.fn(npgrad, ngF, *xs), inputs, eps=spec.gradcheck_eps, atol=spec.gradcheck_atol
    )


@needs_torch
@pytest.mark.parametrize("spec,case", CASES, ids=IDS)
def test_matches_torch_float32(spec, case):
    raw = make_inputs(spec, case)
    ng_in = [to_npgrad(a, r, np.float32) for a, r in raw]
    th_in = [to_torch(a, r, torch.float32) for a, r in raw]
    ng_out = [o for o in as_tuple(spec.fn(npgrad, ngF, *ng_in)) if o.dtype.kind == "f"]
    th_out = [o for o in as_tuple((spec.torch_fn or spec.fn)(torch, tF, *th_in)) if o.is_floating_point()]
    assert len(ng_out) == len(th_out)
    rng = np.random.default_rng(1)
    upstream = [rng.standard_normal(o.shape).astype(np.float32) for o in th_out]
    for n, t in zip(ng_out, th_out):
        assert n.shape == tuple(t.shape), f"{spec.name}: shape {n.shape} vs torch {tuple(t.shape)}"
        expected_dtype = np.float64 if t.dtype == torch.float64 else np.float32
        assert n.dtype == expected_dtype, f"{spec.name}: output dtype {n.dtype}, expected {expected_dtype}"
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=spec.rtol, atol=spec.atol)
    if not any(t.requires_grad for t in th_out):
        return
    ng_loss = sum(((n * npgrad.tensor(u, dtype=n.dtype)).sum() for n, u in zip(ng_out, upstream)))
    th_loss = sum(((t * torch.from_numpy(u).to(t.dtype)).sum() for t, u in zip(th_out, upstream)))
    ng_loss.backward()
    th_loss.backward()
    for position, (n, t) in enumerate(zip(ng_in, th_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert n.grad is not None, f"{spec.name}: no gradient for input {position}"
            assert n.grad.dtype == np.float32, f"{spec.name}: gradient dtype {n.grad.dtype}"
            np.testing.assert_allclose(
                n.grad,
                t.grad.numpy(),
                rtol=spec.rtol,
                atol=spec.atol,
                err_msg=f"{spec.name}: gradient of input {position}",
            )


def _functions_in_graph(outputs):
    found, stack = set(), [o._ctx for o in outputs if o._ctx is not None]
    while stack:
        fn = stack.pop()
        if type(fn) in found:
            continue
        found.add(type(fn))
        stack.extend(p._ctx for p in fn.parents if isinstance(p, npgrad.Tensor) and p._ctx is not None)
    return found


def _all_function_classes():
    classes, stack = set(), [Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if (
                sub.__module__.startswith("npgrad.")
                and not sub.__name__.startswith("_")
                and not inspect.isabstract(sub)
            ):
                classes.add(sub)
    return classes


def test_every_function_is_named_as_one():
    """`LinearFunction`, never `Linear`: a Function can not be mistaken for the Module `nn.Linear`."""
    stack, misnamed = [Function], []
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("npgrad.") and not sub.__name__.endswith("Function"):
                misnamed.append(f"{sub.__module__}.{sub.__name__}")
    assert not misnamed, f"Function subclasses not named <Name>Function: {sorted(misnamed)}"


def test_every_function_is_registered():
    """A Function that no registered op exercises has no gradcheck and no parity test."""
    covered = set()
    for spec in SPECS:
        for case in range(len(spec.cases)):
            inputs = [to_npgrad(a, r, np.float32) for a, r in make_inputs(spec, case)]
            covered |= _functions_in_graph(
                [o for o in as_tuple(spec.fn(npgrad, ngF, *inputs)) if isinstance(o, npgrad.Tensor)]
            )
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in _all_function_classes() - covered)
    assert not missing, f"Functions without a registered op test: {missing}"
