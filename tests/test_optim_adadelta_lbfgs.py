"""optim.Adadelta and optim.LBFGS against torch.optim: the same iterates from the same start."""

import copy

import numpy as np
import pytest

import npgrad
from npgrad import optim
from test_optim import (
    TOLERANCES,
    gradient_sequence,
    initial_values,
    npgrad_params,
    set_npgrad_grad,
    step_both,
    torch_params,
    torch_state,
)

torch = pytest.importorskip("torch")

ADADELTA = [
    {},
    {"lr": 0.5, "rho": 0.5, "eps": 1e-4},
    {"weight_decay": 0.1},
    {"lr": 0.1, "maximize": True, "weight_decay": 0.05},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", ADADELTA, ids=str)
def test_adadelta_follows_torch_step_for_step(options, dtype):
    values, gradients = initial_values(dtype), gradient_sequence(dtype)
    ours, theirs = npgrad_params(values), torch_params(values)
    ours_opt, theirs_opt = optim.Adadelta(ours, **options), torch.optim.Adadelta(theirs, **options)
    for grads in gradients:
        step_both(ours, theirs, ours_opt, theirs_opt, grads)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **TOLERANCES[dtype])
    expected = torch_state(theirs_opt)
    for index, state in ours_opt.state_dict()["state"].items():
        assert set(state) == set(expected[index]) == {"step", "square_avg", "acc_delta"}
        for key, value in state.items():
            np.testing.assert_allclose(value, expected[index][key], **TOLERANCES[dtype])
    assert ours_opt.defaults == {**{k: v for k, v in theirs_opt.defaults.items() if k in ours_opt.defaults}}
    assert set(ours_opt.defaults) == {"lr", "rho", "eps", "weight_decay", "maximize"}


def test_adadelta_state_dict_round_trip_continues_the_same_run():
    values, gradients = initial_values(np.float32), gradient_sequence(np.float32)
    uninterrupted, first = npgrad_params(values), npgrad_params(values)
    run_a, run_b = optim.Adadelta(uninterrupted, lr=0.3), optim.Adadelta(first, lr=0.3)
    for step, grads in enumerate(gradients):
        if step == 5:  # restart the second run from its state_dict
            saved = copy.deepcopy(run_b.state_dict())
            first = npgrad_params([p.detach().numpy() for p in first])
            run_b = optim.Adadelta(first, lr=0.3)
            run_b.load_state_dict(saved)
        for params, optimizer in ((uninterrupted, run_a), (first, run_b)):
            for p, g in zip(params, grads):
                set_npgrad_grad(p, g)
            optimizer.step()
    for p, q in zip(first, uninterrupted):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parametrize("options", [{"lr": -1}, {"rho": 1.5}, {"rho": -0.1}, {"eps": -1}, {"weight_decay": -1}])
def test_adadelta_invalid_options(options):
    with pytest.raises(ValueError):
        optim.Adadelta(npgrad_params(initial_values(np.float32)), **options)


# -- LBFGS --------------------------------------------------------------------------------------
def rosenbrock(lib, xy):
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def least_squares(lib, w, b, data=None):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 5))
    y = x @ rng.standard_normal((5, 2)) + 0.1 * rng.standard_normal((20, 2))
    to = lib.tensor if lib is npgrad else torch.tensor
    prediction = to(x, dtype=w.dtype) @ w + b
    return ((prediction - to(y, dtype=w.dtype)) ** 2).mean()


PROBLEMS = {
    "rosenbrock": (rosenbrock, lambda rng: [np.array([-1.5, 2.0])]),
    "least_squares": (least_squares, lambda rng: [rng.standard_normal((5, 2)), np.zeros(2)]),
}


def run_lbfgs(lib, problem, dtype, steps, options):
    loss_fn, start = PROBLEMS[problem]
    values = [v.astype(dtype) for v in start(np.random.default_rng(1))]
    params = (
        [npgrad.tensor(v, requires_grad=True) for v in values]
        if lib is npgrad
        else [torch.tensor(v, requires_grad=True) for v in values]
    )
    optimizer = (optim.LBFGS if lib is npgrad else torch.optim.LBFGS)(params, **options)
    calls, trajectory, losses = [0], [], []

    def closure():
        calls[0] += 1
        optimizer.zero_grad()
        loss = loss_fn(lib, *params)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(optimizer.step(closure).item())
        trajectory.append([p.detach().numpy().copy() for p in params])
    state = optimizer.state[params[0]]
    return trajectory, losses, calls[0], (state["func_evals"], state["n_iter"])


LBFGS_CASES = [
    ("rosenbrock", {"line_search_fn": "strong_wolfe"}),
    ("rosenbrock", {"lr": 0.1, "max_iter": 5, "history_size": 3}),
    ("rosenbrock", {"line_search_fn": "strong_wolfe", "max_iter": 4, "history_size": 2}),
    ("least_squares", {}),
    ("least_squares", {"line_search_fn": "strong_wolfe", "max_iter": 3, "max_eval": 5}),
    ("least_squares", {"lr": 0.5, "tolerance_grad": 1e-3, "tolerance_change": 1e-4}),
]


@pytest.mark.parametrize("problem, options", LBFGS_CASES, ids=[f"{p}-{o}" for p, o in LBFGS_CASES])
def test_lbfgs_takes_torchs_iterates_float64(problem, options):
    ours = run_lbfgs(npgrad, problem, np.float64, 6, options)
    theirs = run_lbfgs(torch, problem, np.float64, 6, options)
    for step, (a, b) in enumerate(zip(ours[0], theirs[0])):
        for p, q in zip(a, b):
            np.testing.assert_allclose(p, q, rtol=1e-9, atol=1e-12, err_msg=f"after step {step + 1}")
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-12)
    assert ours[2:] == theirs[2:]  # closure calls, func_evals and n_iter


def test_lbfgs_solves_rosenbrock_and_float32_stays_close_to_torch():
    trajectory, losses, _, _ = run_lbfgs(npgrad, "rosenbrock", np.float64, 5, {"line_search_fn": "strong_wolfe"})
    np.testing.assert_allclose(trajectory[-1][0], [1.0, 1.0], atol=1e-5)
    ours = run_lbfgs(npgrad, "least_squares", np.float32, 2, {"max_iter": 10})
    theirs = run_lbfgs(torch, "least_squares", np.float32, 2, {"max_iter": 10})
    for p, q in zip(ours[0][-1], theirs[0][-1]):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, q, rtol=1e-4, atol=1e-5)


def test_lbfgs_refuses_groups_and_unknown_line_searches():
    a, b = npgrad_params(initial_values(np.float32)[:2])
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([a], line_search_fn="backtracking")
    assert optim.LBFGS([a]).defaults["max_eval"] == 25


def test_lbfgs_state_dict_round_trip_continues_the_same_run():
    def closure_for(params, optimizer):
        def closure():
            optimizer.zero_grad()
            loss = least_squares(npgrad, *params)
            loss.backward()
            return loss

        return closure

    start = [np.random.default_rng(1).standard_normal((5, 2)), np.zeros(2)]
    uninterrupted = [npgrad.tensor(v, requires_grad=True) for v in start]
    optimizer = optim.LBFGS(uninterrupted, max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    for _ in range(4):
        optimizer.step(closure_for(uninterrupted, optimizer))
    first = [npgrad.tensor(v, requires_grad=True) for v in start]
    optimizer = optim.LBFGS(first, max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    for _ in range(2):
        optimizer.step(closure_for(first, optimizer))
    saved = optimizer.state_dict()
    resumed = [npgrad.tensor(p.detach().numpy().copy(), requires_grad=True) for p in first]
    optimizer = optim.LBFGS(resumed, max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    optimizer.load_state_dict(saved)
    state = optimizer.state[resumed[0]]
    assert state["n_iter"] == saved["state"][0]["n_iter"] > 2 and len(state["old_dirs"]) >= 2
    for _ in range(2):
        optimizer.step(closure_for(resumed, optimizer))
    for p, q in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
