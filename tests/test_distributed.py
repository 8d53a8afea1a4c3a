"""npgrad.distributed, DistributedDataParallel, DistributedSampler and the distributed Trainer.

Multi-process tests start `mpiexec -n 2 python tests/distributed_scripts/<script>.py` (the
`distributed` extra installs mpi4py and the mpich launcher); they skip when MPI is missing.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import npgrad
import npgrad.distributed as dist
from npgrad.distributed import process_group

SCRIPTS = Path(__file__).parent / "distributed_scripts"


def _mpi_missing_reason():
    try:
        from npgrad.distributed.launch import find_mpiexec
        find_mpiexec()
        import mpi4py  # noqa: F401
    except (ImportError, RuntimeError) as error:
        return f"MPI is not available ({error}); pip install 'npgrad[distributed]'"
    return None


needs_mpi = pytest.mark.skipif(_mpi_missing_reason() is not None, reason=str(_mpi_missing_reason()))


def run_mpi(script, *args, nproc=2, timeout=60):
    """Run a script of tests/distributed_scripts as `nproc` MPI processes."""
    from npgrad.distributed.launch import mpiexec_command
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    command = mpiexec_command(nproc, [str(SCRIPTS / script), *map(str, args)])
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def single_process_group():
    dist.init_process_group(backend="mpi")
    yield
    dist.destroy_process_group()


# -- npgrad.distributed ---------------------------------------------------------------------
@needs_mpi
def test_collectives_on_two_processes():
    result = run_mpi("collectives.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ok") == 2, result.stdout


@needs_mpi
def test_a_failing_rank_ends_every_rank_with_its_error():
    result = run_mpi("fault.py", timeout=60)  # a hang would raise TimeoutExpired
    assert result.returncode != 0
    assert "ValueError: rank 1 failed on purpose" in result.stderr
    assert "never stopped" not in result.stdout


def test_without_mpi4py_one_process_is_a_world_of_one(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now raises ImportError
    for variable in process_group._LAUNCHER_SIZE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    dist.init_process_group(backend="mpi")
    try:
        assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "single-process")
        t = npgrad.tensor([1.0, 2.0])
        dist.all_reduce(t)
        dist.broadcast(t, src=0)
        out = [npgrad.zeros(2)]
        dist.all_gather(out, t)
        dist.barrier()
        np.testing.assert_array_equal(out[0].numpy(), [1.0, 2.0])
        np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    finally:
        dist.destroy_process_group()


def test_without_mpi4py_under_a_launcher_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setenv("PMI_SIZE", "4")
    with pytest.raises(RuntimeError, match=r"4 MPI processes.*npgrad\[distributed\]"):
        dist.init_process_group(backend="mpi")
    assert not dist.is_initialized()


def test_process_group_errors():
    with pytest.raises(ValueError, match="not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="backend 'nccl'"):
        dist.init_process_group(backend="nccl")


def test_collective_argument_errors(single_process_group):
    with pytest.raises(RuntimeError, match="already initialized"):
        dist.init_process_group()
    with pytest.raises(ValueError, match="unknown op"):
        dist.all_reduce(npgrad.ones(2), op="mean")
    with pytest.raises(ValueError, match="src=1"):
        dist.broadcast(npgrad.ones(2), src=1)
    with pytest.raises(ValueError, match="one per rank"):
        dist.all_gather([npgrad.ones(2)] * 2, npgrad.ones(2))


# -- the hook point DDP uses: Tensor.register_post_accumulate_grad_hook ---------------------
def test_post_accumulate_hook_runs_as_soon_as_the_leaf_gradient_is_complete():
    """As in PyTorch, the hook of the last layer's weight runs before backward reaches the
    first layer, so work on it (an all-reduce) overlaps the rest of backward."""
    rng = np.random.default_rng(0)
    w1 = npgrad.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    w2 = npgrad.tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    x = npgrad.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    events = []
    w1.register_post_accumulate_grad_hook(lambda p: events.append(("w1", p.grad.numpy().copy())))
    w2.register_post_accumulate_grad_hook(lambda p: events.append(("w2", p.grad.numpy().copy())))
    hidden = (x @ w1).tanh()
    hidden.register_hook(lambda g: events.append(("hidden", None)))
    ((hidden @ w2) ** 2).sum().backward()
    assert [name for name, _ in events] == ["w2", "hidden", "w1"]
    np.testing.assert_array_equal(events[0][1], w2.grad.numpy())
    np.testing.assert_array_equal(events[2][1], w1.grad.numpy())


def test_post_accumulate_hook_sees_the_whole_gradient_and_may_change_it_in_place():
    w = npgrad.tensor([1.0, 2.0], requires_grad=True)
    v = npgrad.tensor([3.0, 4.0], requires_grad=True)
    seen = []

    def halve(p):
        seen.append(p.grad.numpy().copy())
        p.grad._data *= 0.5

    handle = w.register_post_accumulate_grad_hook(halve)
    # w is used twice; its first use shares a gradient array with the path to v
    ((w + v * 3.0).sum() + (w * w).sum()).backward()
    np.testing.assert_array_equal(seen[0], [3.0, 5.0])   # 1 + 2w
    np.testing.assert_array_equal(w.grad.numpy(), [1.5, 2.5])
    np.testing.assert_array_equal(v.grad.numpy(), [3.0, 3.0])  # not touched by w's hook
    handle.remove()
    (w * 1.0).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="leaf tensors that require grad"):
        (w * 2.0).register_post_accumulate_grad_hook(halve)
