"""npgrad.optim against torch.optim: the same parameters, the same gradients, step for step."""

import copy

import numpy as np
import pytest

import npgrad
from npgrad import optim

torch = pytest.importorskip("torch")

SHAPES = [(5, 3), (4,), (2, 3, 4)]
STEPS = 12

CONFIGS = [
    ("SGD", {}),
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"weight_decay": 0.1}),
    ("Adagrad", {"initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.05, "lr_decay": 0.01, "weight_decay": 0.01, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6}),
    ("Adam", {"weight_decay": 0.1}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),  # 12 steps: rho_t crosses 5 at step 6, both branches run
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
]


def initial_values(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradient_sequence(dtype, steps=STEPS, seed=1):
    """Gradients whose scale jumps between steps, so that amsgrad's running maximum matters."""
    rng = np.random.default_rng(seed)
    return [
        [(rng.standard_normal(shape) * 2.0 ** rng.integers(-3, 4)).astype(dtype) for shape in SHAPES]
        for _ in range(steps)
    ]


def npgrad_params(values):
    return [npgrad.Tensor(v.copy(), requires_grad=True) for v in values]


def torch_params(values):
    return [torch.tensor(v.copy(), requires_grad=True) for v in values]


def run(make_optimizer, params, gradients, set_grad):
    optimizer = make_optimizer(params)
    for grads in gradients:
        for p, g in zip(params, grads):
            set_grad(p, g)
        optimizer.step()
    return optimizer


def set_npgrad_grad(p, g):
    p.grad = None if g is None else g.copy()


def set_torch_grad(p, g):
    p.grad = None if g is None else torch.tensor(g)


def torch_state(optimizer):
    return {i: {k: np.asarray(v) for k, v in s.items()} for i, s in optimizer.state_dict()["state"].items()}


def step_both(ours, theirs, ours_opt, theirs_opt, grads):
    """Give both sides the same gradients and take one step each."""
    for p, q, g in zip(ours, theirs, grads):
        set_npgrad_grad(p, g)
        set_torch_grad(q, g)
    ours_opt.step()
    theirs_opt.step()


TOLERANCES = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}
# torch keeps NAdam's running product of the momentum factors as a float32 scalar (its default
# dtype), npgrad as a Python float: in float64 the two then agree to about 1e-9, not 1e-12
NADAM_FLOAT64 = dict(rtol=1e-8, atol=1e-10)
SCALARS = ("step", "mu_product")  # bookkeeping numbers of the state, not arrays of the parameter's dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, options", CONFIGS, ids=[f"{n}-{o}" for n, o in CONFIGS])
def test_follows_torch_step_for_step(name, options, dtype):
    values, gradients = initial_values(dtype), gradient_sequence(dtype)
    ours, theirs = npgrad_params(values), torch_params(values)
    ours_opt, theirs_opt = getattr(optim, name)(ours, **options), getattr(torch.optim, name)(theirs, **options)
    tolerance = NADAM_FLOAT64 if (name, dtype) == ("NAdam", np.float64) else TOLERANCES[dtype]
    for grads in gradients:
        step_both(ours, theirs, ours_opt, theirs_opt, grads)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **tolerance)
    expected_state = torch_state(theirs_opt)
    for index, state in ours_opt.state_dict()["state"].items():
        assert set(state) == set(expected_state[index])
        for key, value in state.items():
            np.testing.assert_allclose(value, expected_state[index][key], **tolerance)
            assert np.asarray(value).dtype == dtype or key in SCALARS


@pytest.mark.parametrize(
    "name, options",
    [
        ("SGD", {"momentum": 0.9, "weight_decay": 0.01}),
        ("Adam", {"amsgrad": True}),
        ("RMSprop", {"centered": True}),
        ("Adagrad", {"lr_decay": 0.1}),
        ("AdamW", {}),
    ],
)
def test_float32_in_place(name, options):
    params = npgrad_params(initial_values(np.float32))
    arrays = [p.detach().numpy() for p in params]
    optimizer = run(
        lambda ps: getattr(optim, name)(ps, **options), params, gradient_sequence(np.float32, steps=3), set_npgrad_grad
    )
    for p, array in zip(params, arrays):
        assert p.detach().numpy() is array and p.detach().numpy().dtype == np.float32
    for state in optimizer.state.values():
        for value in state.values():
            assert not isinstance(value, np.ndarray) or value.dtype == np.float32


ADAM_CONFIGS = [c for c in CONFIGS if c[0] in ("Adam", "AdamW")]


@pytest.mark.parametrize("name, options", ADAM_CONFIGS, ids=[f"{n}-{o}" for n, o in ADAM_CONFIGS])
def test_adam_in_blocks_gives_the_same_numbers(monkeypatch, name, options):
    """NumPy's passes over a parameter block by block (functional._util.in_blocks) or over all of it:
    bit for bit the same parameters after the steps."""
    from npgrad.backends import numba as numba_backend
    from npgrad.functional import _util

    monkeypatch.setattr(numba_backend, "enabled", False)

    def trained(block):
        monkeypatch.setattr(_util, "BLOCK", block)
        params = npgrad_params(initial_values(np.float32))
        run(lambda ps: getattr(optim, name)(ps, **options), params, gradient_sequence(np.float32), set_npgrad_grad)
        return [p.detach().numpy() for p in params]

    whole = trained(10**9)
    blocked = trained(4)
    assert len(_util.in_blocks(np.zeros(15, np.float32), np.zeros(15, np.float32))) == 4
    for a, b in zip(whole, blocked):
        np.testing.assert_array_equal(a, b)


def test_param_groups_with_their_own_options():
    values, gradients = initial_values(np.float32), gradient_sequence(np.float32)

    def groups(params):
        return [{"params": params[:1], "lr": 0.1, "momentum": 0.5}, {"params": params[1:]}]

    ours = npgrad_params(values)
    ours_opt = run(lambda ps: optim.SGD(groups(ps), lr=0.01, momentum=0.9), ours, gradients, set_npgrad_grad)
    theirs = torch_params(values)
    run(lambda ps: torch.optim.SGD(groups(ps), lr=0.01, momentum=0.9), theirs, gradients, set_torch_grad)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert [g["lr"] for g in ours_opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in ours_opt.param_groups] == [0.5, 0.9]


def test_add_param_group_takes_defaults():
    a, b = npgrad_params(initial_values(np.float32)[:2])
    optimizer = optim.Adam([a], lr=0.01)
    optimizer.add_param_group({"params": b, "betas": (0.5, 0.6)})
    assert optimizer.param_groups[1]["lr"] == 0.01
    assert optimizer.param_groups[1]["betas"] == (0.5, 0.6)
    assert optimizer.param_groups[1]["params"] == [b]
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [a]})


def test_skips_parameters_without_gradient_like_torch():
    values, gradients = initial_values(np.float32), gradient_sequence(np.float32)
    for step, grads in enumerate(gradients):  # the first parameter has no gradient every third step
        if step % 3 == 0:
            grads[0] = None
    gradients[0][1] = None  # and the second has none at the first step
    ours = npgrad_params(values)
    ours_opt = run(lambda ps: optim.Adam(ps, lr=0.01), ours, gradients, set_npgrad_grad)
    theirs = torch_params(values)
    theirs_opt = run(lambda ps: torch.optim.Adam(ps, lr=0.01), theirs, gradients, set_torch_grad)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert [s["step"] for s in ours_opt.state_dict()["state"].values()] == [
        float(s["step"]) for s in theirs_opt.state_dict()["state"].values()
    ]


def test_parameter_without_gradient_is_untouched():
    a, b = npgrad_params(initial_values(np.float32)[:2])
    before = b.detach().numpy().copy()
    optimizer = optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1)
    a.grad = np.ones_like(a.detach().numpy())
    optimizer.step()
    np.testing.assert_array_equal(b.detach().numpy(), before)
    assert b not in optimizer.state


def test_weight_decay_and_maximize_by_hand():
    p = npgrad.Tensor(np.array([1.0, -2.0], np.float32), requires_grad=True)
    optimizer = optim.SGD([p], lr=0.1, weight_decay=0.5, maximize=True)
    p.grad = np.array([0.2, 0.4], np.float32)
    optimizer.step()  # θ <- θ - lr (λθ - ∇f)
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.1 * (0.5 - 0.2), -2.0 - 0.1 * (-1.0 - 0.4)], rtol=1e-6)

    q = npgrad.Tensor(np.array([2.0], np.float32), requires_grad=True)
    optimizer = optim.AdamW([q], lr=0.1, weight_decay=0.5)
    q.grad = np.array([0.0], np.float32)
    optimizer.step()  # zero gradient: only the decoupled decay θ (1 - lr λ) acts
    np.testing.assert_allclose(q.detach().numpy(), [2.0 * (1 - 0.1 * 0.5)], rtol=1e-6)


def test_zero_grad():
    a, b = npgrad_params(initial_values(np.float32)[:2])
    optimizer = optim.SGD([a, b], lr=0.1)
    a.grad = np.ones_like(a.detach().numpy())
    grad = a.grad
    optimizer.zero_grad(set_to_none=False)
    assert a.grad is grad and not a.grad.any() and b.grad is None
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_with_closure_returns_the_loss():
    p = npgrad.Tensor(np.array([3.0], np.float32), requires_grad=True)
    optimizer = optim.SGD([p], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert float(loss.item()) == 9.0
    np.testing.assert_allclose(p.detach().numpy(), [3.0 - 0.25 * 6.0])


@pytest.mark.parametrize(
    "name, options",
    [
        ("SGD", {"momentum": 0.9, "nesterov": True}),
        ("Adam", {"amsgrad": True, "weight_decay": 0.01}),
        ("AdamW", {}),
        ("RMSprop", {"centered": True, "momentum": 0.5}),
        ("Adagrad", {"lr_decay": 0.1}),
    ],
)
def test_state_dict_round_trip_continues_the_same_run(name, options):
    values, gradients = initial_values(np.float32), gradient_sequence(np.float32)

    def make(params):
        return getattr(optim, name)([{"params": params[:1], "lr": 0.02}, {"params": params[1:]}], **options)

    uninterrupted = npgrad_params(values)
    run(make, uninterrupted, gradients, set_npgrad_grad)

    first = npgrad_params(values)
    saved = copy.deepcopy(run(make, first, gradients[:5], set_npgrad_grad).state_dict())
    assert sorted(saved["state"]) == [0, 1, 2]
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1, 2]]
    resumed = npgrad_params([p.detach().numpy() for p in first])
    optimizer = make(resumed)
    optimizer.load_state_dict(saved)
    for state in saved["state"].values():  # the loaded state is a copy: changing the saved one does nothing
        for value in state.values():
            if isinstance(value, np.ndarray):
                value += 100.0
    for grads in gradients[5:]:
        for p, g in zip(resumed, grads):
            set_npgrad_grad(p, g)
        optimizer.step()
    for p, q in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_state_dict_loads_torch_layout():
    values, gradients = initial_values(np.float32), gradient_sequence(np.float32)
    theirs = torch_params(values)
    theirs_opt = run(lambda ps: torch.optim.Adam(ps, lr=0.01), theirs, gradients[:5], set_torch_grad)
    exported = theirs_opt.state_dict()
    saved = {
        "state": {i: {k: v.numpy() for k, v in s.items()} for i, s in exported["state"].items()},
        "param_groups": exported["param_groups"],
    }
    ours = npgrad_params([q.detach().numpy() for q in theirs])
    ours_opt = optim.Adam(ours, lr=0.01)
    ours_opt.load_state_dict(saved)
    assert ours_opt.state[ours[0]]["step"] == 5
    for grads in gradients[5:]:
        step_both(ours, theirs, ours_opt, theirs_opt, grads)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_rejects_other_groups():
    a, b = npgrad_params(initial_values(np.float32)[:2])
    saved = optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="has 2 parameters"):
        optim.SGD([a]).load_state_dict(saved)


@pytest.mark.parametrize(
    "name, options",
    [
        ("SGD", {"lr": -0.1}),
        ("SGD", {"momentum": -0.5}),
        ("SGD", {"weight_decay": -1}),
        ("SGD", {"nesterov": True}),
        ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
        ("Adagrad", {"lr": -1}),
        ("Adagrad", {"lr_decay": -1}),
        ("Adagrad", {"weight_decay": -1}),
        ("Adagrad", {"initial_accumulator_value": -1}),
        ("Adagrad", {"eps": -1}),
        ("RMSprop", {"lr": -1}),
        ("RMSprop", {"alpha": -0.1}),
        ("RMSprop", {"eps": -1}),
        ("RMSprop", {"momentum": -1}),
        ("RMSprop", {"weight_decay": -1}),
        ("Adam", {"lr": -1}),
        ("Adam", {"eps": -1}),
        ("Adam", {"betas": (1.0, 0.999)}),
        ("Adam", {"betas": (0.9, -0.1)}),
        ("Adam", {"weight_decay": -1}),
        ("AdamW", {"betas": (0.9, 1.0)}),
        ("AdamW", {"lr": float("nan")}),
    ],
)
def test_invalid_options_raise_value_error(name, options):
    params = npgrad_params(initial_values(np.float32))
    with pytest.raises(ValueError):
        getattr(optim, name)(params, **options)
    with pytest.raises(ValueError):  # also per group
        getattr(optim, name)([{"params": params[:1], **options}, {"params": params[1:]}])


def test_invalid_params():
    p = npgrad_params(initial_values(np.float32))[0]
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(p)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="ordered collection"):
        optim.Adam([{"params": {p}}])
    with pytest.raises(TypeError, match="can only optimize tensors"):
        optim.SGD([p, 3.0])
    optimizer = optim.SGD([p])
    with pytest.raises(RuntimeError, match="assigned grad has shape"):
        p.grad = np.zeros((1, 2), np.float32)
    p._grad = npgrad.zeros(1, 2)  # forced past the check, the optimizer still refuses it
    with pytest.raises(ValueError, match="does not match"):
        optimizer.step()


def test_adagrad_state_exists_before_the_first_step_like_torch():
    values = initial_values(np.float32)
    ours = optim.Adagrad(npgrad_params(values), initial_accumulator_value=0.3).state_dict()["state"]
    theirs = torch_state(torch.optim.Adagrad(torch_params(values), initial_accumulator_value=0.3))
    assert sorted(ours) == sorted(theirs)
    for index, state in ours.items():
        assert state["step"] == theirs[index]["step"]
        np.testing.assert_array_equal(state["sum"], theirs[index]["sum"])


def test_exports():
    from npgrad.optim import lr_scheduler

    assert optim.lr_scheduler is lr_scheduler
    for name in ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]:
        assert isinstance(getattr(optim, name), type)
    assert issubclass(optim.AdamW, optim.Optimizer)
