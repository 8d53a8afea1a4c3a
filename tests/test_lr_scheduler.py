"""npgrad.optim.lr_scheduler against torch.optim.lr_scheduler: the same lrs, step by step."""

import copy
import math
import warnings

import numpy as np
import pytest

import npgrad
from npgrad import optim
from npgrad.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 40
LRS = (0.1, 0.03)  # two param groups with different lrs


def make_optimizer(library, name="SGD", **options):
    """An optimizer of `library` (npgrad.optim or torch.optim) with two param groups."""
    tensor = npgrad.Tensor if library is optim else torch.tensor
    groups = [{"params": [tensor(np.zeros(2, np.float32), requires_grad=True)], "lr": lr} for lr in LRS]
    return getattr(library, name)(groups, **options)


def schedule(library, make_scheduler, steps=STEPS, metrics=None, optimizer="SGD", **options):
    """The lrs (and momentum / beta1) of every group after construction and after each step."""
    opt = make_optimizer(library, optimizer, **options)
    scheduler = make_scheduler(library.lr_scheduler, opt)
    records = [record(opt, scheduler, library)]
    for step in range(steps):
        opt.step()
        scheduler.step(*([] if metrics is None else [metrics[step]]))
        records.append(record(opt, scheduler, library))
    return np.array(records)


def record(opt, scheduler, library):
    lrs = [group["lr"] for group in opt.param_groups]
    assert list(scheduler.get_last_lr()) == lrs
    momenta = [group["betas"][0] if "betas" in group else group.get("momentum", 0.0) for group in opt.param_groups]
    return lrs + momenta


def assert_same_schedule(make_scheduler, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's advice about the order of step() calls
        expected = schedule(torch.optim, make_scheduler, **kwargs)
    np.testing.assert_allclose(schedule(optim, make_scheduler, **kwargs), expected, rtol=1e-12, atol=1e-15)


SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3),
    "StepLR-gamma": lambda m, o: m.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 20]),
    "MultiStepLR-gamma": lambda m, o: m.MultiStepLR(o, milestones=[20, 3], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingLR-eta_min": lambda m, o: m.CosineAnnealingLR(o, T_max=15, eta_min=0.005),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 0.95**e, lambda e: 1 + e % 4]),
    "LinearLR": lambda m, o: m.LinearLR(o),
    "LinearLR-options": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=8),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.ExponentialLR(o, gamma=0.9)], milestones=[5]
    ),
    "SequentialLR-three": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, total_iters=4), m.StepLR(o, step_size=3, gamma=0.5), m.CosineAnnealingLR(o, T_max=12)],
        milestones=[4, 15],
    ),
    "SequentialLR-lambda": lambda m, o: m.SequentialLR(
        o, [m.LambdaLR(o, lambda e: (e + 1) / 6), m.MultiStepLR(o, milestones=[10, 20])], milestones=[6]
    ),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_equals_torch(name):
    assert_same_schedule(SCHEDULES[name])


ONE_CYCLE = {
    "cos": (dict(max_lr=1.0, total_steps=STEPS), "SGD", {"momentum": 0.9}),
    "linear": (dict(max_lr=[1.0, 0.4], total_steps=STEPS, anneal_strategy="linear"), "SGD", {"momentum": 0.9}),
    "three_phase": (dict(max_lr=0.5, total_steps=STEPS, three_phase=True, pct_start=0.25), "SGD", {"momentum": 0.9}),
    "three_phase-linear": (dict(max_lr=0.5, total_steps=STEPS, three_phase=True, anneal_strategy="linear"), "SGD", {}),
    "adam-betas": (dict(max_lr=0.01, epochs=4, steps_per_epoch=10, base_momentum=0.8, max_momentum=0.9), "Adam", {}),
    "no-momentum-cycle": (
        dict(max_lr=0.2, total_steps=STEPS, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0),
        "SGD",
        {"momentum": 0.9},
    ),
    "momentum-per-group": (
        dict(max_lr=0.3, total_steps=STEPS, base_momentum=[0.8, 0.7], max_momentum=[0.9, 0.99]),
        "SGD",
        {"momentum": 0.9},
    ),
}


@pytest.mark.parametrize("name", ONE_CYCLE)
def test_one_cycle_equals_torch_with_momentum(name):
    arguments, optimizer, options = ONE_CYCLE[name]
    assert_same_schedule(lambda m, o: m.OneCycleLR(o, **arguments), optimizer=optimizer, **options)


def test_one_cycle_refuses_to_step_past_the_end():
    opt = make_optimizer(optim, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5)
    for _ in range(4):  # steps 0..4: the minimum at the last step, total_steps - 1
        scheduler.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 / 25 / 1e4)
    assert opt.param_groups[0]["initial_lr"] == 1.0 / 25
    scheduler.step()  # PyTorch allows one step more, where the lr is extrapolated
    with pytest.raises(ValueError, match="total_steps"):
        scheduler.step()


PLATEAU_METRICS = [1.0 / (1 + i) if i < 8 else 0.12 + 0.01 * math.sin(i) for i in range(STEPS)]
PLATEAUS = {
    "default": dict(patience=2),
    "max-abs": dict(mode="max", threshold_mode="abs", threshold=0.01, patience=1, factor=0.5),
    "cooldown-min_lr": dict(patience=1, cooldown=3, min_lr=[0.001, 0.0005], factor=0.5),
    "threshold-rel": dict(threshold=0.05, patience=0),
    "eps": dict(patience=0, factor=0.5, eps=0.01),
}


@pytest.mark.parametrize("name", PLATEAUS)
def test_reduce_lr_on_plateau_equals_torch(name):
    metrics = [-m for m in PLATEAU_METRICS] if PLATEAUS[name].get("mode") == "max" else PLATEAU_METRICS
    assert_same_schedule(lambda m, o: m.ReduceLROnPlateau(o, **PLATEAUS[name]), metrics=metrics)


def test_schedulers_record_initial_lr():
    opt = make_optimizer(optim)
    lr_scheduler.StepLR(opt, step_size=2)
    assert [group["initial_lr"] for group in opt.param_groups] == list(LRS)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer(optim), step_size=2, last_epoch=3)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "LambdaLR", "SequentialLR-three"])
def test_state_dict_round_trip(name):
    make = SCHEDULES[name]
    uninterrupted = schedule(optim, make, steps=30)

    opt = make_optimizer(optim)
    scheduler = make(lr_scheduler, opt)
    for _ in range(10):
        scheduler.step()
    saved_optimizer, saved_scheduler = copy.deepcopy(opt.state_dict()), copy.deepcopy(scheduler.state_dict())
    assert "optimizer" not in saved_scheduler

    opt = make_optimizer(optim)
    scheduler = make(lr_scheduler, opt)
    opt.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    resumed = [record(opt, scheduler, optim)]
    for _ in range(20):
        scheduler.step()
        resumed.append(record(opt, scheduler, optim))
    np.testing.assert_array_equal(np.array(resumed), uninterrupted[10:])


def test_state_dict_round_trip_one_cycle_and_plateau():
    def run(scheduler, opt, steps, start=0):
        for i in range(start, start + steps):
            if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
                scheduler.step(PLATEAU_METRICS[i])
            else:
                scheduler.step()
        return record(opt, scheduler, optim)

    makers = [
        lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
        lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1, cooldown=2),
    ]
    for make in makers:
        opt = make_optimizer(optim, momentum=0.9)
        expected = run(make(opt), opt, 30)
        opt = make_optimizer(optim, momentum=0.9)
        scheduler = make(opt)
        run(scheduler, opt, 12)
        saved = copy.deepcopy((opt.state_dict(), scheduler.state_dict()))
        opt = make_optimizer(optim, momentum=0.9)
        scheduler = make(opt)
        opt.load_state_dict(saved[0])
        scheduler.load_state_dict(saved[1])
        assert run(scheduler, opt, 18, start=12) == expected


def test_invalid_arguments():
    opt = make_optimizer(optim)
    with pytest.raises(TypeError):
        lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(ValueError):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="momentum or betas"):
        lr_scheduler.OneCycleLR(make_optimizer(optim, "Adagrad"), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError):
        lr_scheduler.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])
    step = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="milestones"):
        lr_scheduler.SequentialLR(opt, [step, lr_scheduler.ExponentialLR(opt, 0.9)], milestones=[])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(opt, [step, lr_scheduler.ReduceLROnPlateau(opt)], milestones=[3])
    with pytest.raises(ValueError, match="different optimizer"):
        lr_scheduler.SequentialLR(opt, [step, lr_scheduler.StepLR(make_optimizer(optim), 2)], milestones=[3])


def test_linear_scaling_rule():
    assert lr_scheduler.linear_scaling_lr(0.1, 256) == pytest.approx(0.1)
    assert lr_scheduler.linear_scaling_lr(0.1, 1024) == pytest.approx(0.4)
    assert lr_scheduler.linear_scaling_lr(0.1, 8192) == pytest.approx(3.2)
    assert lr_scheduler.linear_scaling_lr(0.01, 32, base_batch_size=128) == pytest.approx(0.0025)
    with pytest.raises(ValueError):
        lr_scheduler.linear_scaling_lr(0.1, 0)


def test_warmup_ramps_linearly_then_holds():
    opt = optim.SGD([npgrad.Tensor(np.zeros(2, np.float32), requires_grad=True)], lr=0.4)
    scheduler = lr_scheduler.warmup_scheduler(opt, warmup_steps=4, start_factor=0.25)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(6):
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
    # 0.4 · (0.25 + 0.75 · t / 4) for t = 0..4, then 0.4
    np.testing.assert_allclose(lrs, [0.1, 0.175, 0.25, 0.325, 0.4, 0.4, 0.4], rtol=1e-12)
    with pytest.raises(ValueError):
        lr_scheduler.warmup_scheduler(opt, warmup_steps=0)


def test_warmup_then_step_decay():
    lr = lr_scheduler.linear_scaling_lr(0.1, 1024)  # 0.4
    opt = optim.SGD([npgrad.Tensor(np.zeros(2, np.float32), requires_grad=True)], lr=lr, momentum=0.9)
    decay = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    scheduler = lr_scheduler.warmup_scheduler(opt, warmup_steps=2, start_factor=256 / 1024, after=decay)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(8):
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
    # warmup 0.1, 0.25; then StepLR from its step 0: 0.4 (x3), 0.2 (x3), 0.1
    np.testing.assert_allclose(lrs, [0.1, 0.25, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1], rtol=1e-12)
