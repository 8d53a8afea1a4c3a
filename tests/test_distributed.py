"""npgrad.distributed, DistributedDataParallel, DistributedSampler and the distributed Trainer.

Multi-process tests run tests/distributed_scripts/<script>.py as 2 processes through npgrad's
own launcher (`python -m npgrad.distributed.launch`, shared memory) and, where marked, through
MPI's (`mpiexec`; the `distributed` extra installs mpi4py and the mpich launcher; skipped
when MPI is missing).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import npgrad
import npgrad.distributed as dist
from npgrad.data.distributed import GlobalBatchShardSampler
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


def run_world(script, *args, launcher="shm", nproc=2, timeout=60):
    """Run a script of tests/distributed_scripts as `nproc` processes started by `launcher`:
    "shm" (npgrad.distributed.launch) or "mpi" (mpiexec)."""
    from npgrad.distributed.launch import mpiexec_command, worker_environment

    python_args = [str(SCRIPTS / script), *map(str, args)]
    if launcher == "mpi":
        command = mpiexec_command(nproc, python_args)
    else:
        command = [sys.executable, "-m", "npgrad.distributed.launch", "--nproc", str(nproc), *python_args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=worker_environment(nproc, 1))


@pytest.fixture(params=["shm", pytest.param("mpi", marks=needs_mpi)])
def launcher(request):
    return request.param


@pytest.fixture
def single_process_group():
    dist.init_process_group(backend="mpi")
    yield
    dist.destroy_process_group()


# -- npgrad.distributed ---------------------------------------------------------------------
def test_collectives_on_two_processes(launcher):
    result = run_world("collectives.py", launcher, launcher=launcher)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ok") == 2, result.stdout


def test_a_failing_rank_ends_every_rank_with_its_error(launcher):
    result = run_world("fault.py", "raise", launcher=launcher)  # a hang would raise TimeoutExpired
    assert result.returncode != 0
    assert "ValueError: rank 1 failed on purpose" in result.stderr
    assert "never stopped" not in result.stdout


def test_a_rank_that_exits_with_an_error_code_ends_every_rank(launcher):
    result = run_world("fault.py", "exit", launcher=launcher)  # a hang would raise TimeoutExpired
    assert result.returncode != 0
    assert "never stopped" not in result.stdout


def _world_of_one(monkeypatch):
    import multiprocessing

    from npgrad.distributed import shared_memory

    slots = multiprocessing.RawArray("B", shared_memory.SLOT_BYTES)
    world = shared_memory.LocalWorld(0, 1, slots, [[multiprocessing.Semaphore(0)]])
    monkeypatch.setattr(shared_memory, "_world", world)
    return world


def test_shared_memory_collectives_go_through_the_slot_in_pieces(monkeypatch):
    from npgrad.distributed import shared_memory

    monkeypatch.setattr(shared_memory, "SLOT_BYTES", 64)  # 16 float32 a piece
    _world_of_one(monkeypatch)
    backend = shared_memory.SharedMemoryBackend(shared_memory.launched_world())
    values = np.arange(40, dtype=np.float32).reshape(5, 8)
    reduced = values.copy()
    backend.all_reduce(reduced, "max")
    np.testing.assert_array_equal(reduced, values)
    np.testing.assert_array_equal(backend.all_gather(values), values[None])
    assert backend._slots[0].view(np.float32)[:8].tolist() == list(range(32, 40))  # the last piece passed through


def test_a_process_of_the_shared_memory_launcher_gets_its_backend(monkeypatch):
    _world_of_one(monkeypatch)
    assert dist.launched_world_size() == 1
    with pytest.raises(ValueError, match="backend 'mpi' in a process started by npgrad's launcher"):
        dist.init_process_group(backend="mpi")
    dist.init_process_group()
    try:
        assert (dist.get_backend(), dist.get_rank(), dist.get_world_size()) == ("shm", 0, 1)
        t = npgrad.tensor([1.0, 2.0])
        dist.all_reduce(t)
        np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    finally:
        dist.destroy_process_group()


def test_shared_memory_launcher_errors_and_timeout(tmp_path):
    from npgrad.distributed.launch import launch_local
    from npgrad.distributed.shared_memory import start_local, wait_for

    with pytest.raises(ValueError, match="positive integer"):
        launch_local(0, ["x.py"])
    launch = [sys.executable, "-m", "npgrad.distributed.launch"]
    result = subprocess.run([*launch, "--nproc", "0", "x.py"], capture_output=True, text=True)
    assert result.returncode == 2 and "--nproc must be at least 1" in result.stderr
    result = subprocess.run([*launch, "-m"], capture_output=True, text=True)
    assert result.returncode == 2 and "-m needs a module name" in result.stderr
    (tmp_path / "empty.json").write_text("{}")
    result = subprocess.run([*launch, "-m", "json.tool", str(tmp_path / "empty.json")], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.split() == ["{}", "{}"], result.stderr  # a module, on 2 processes
    missing = tmp_path / "missing.py"
    result = subprocess.run([*launch, str(missing)], capture_output=True, text=True)
    assert result.returncode == 2 and f"no such script: {missing}" in result.stderr and "Traceback" not in result.stderr
    script = tmp_path / "sleep.py"
    script.write_text("import time\ntime.sleep(60)\n")
    processes, shared = start_local(2, [str(script)], {})
    with pytest.raises(TimeoutError, match="2 processes still running after 1 s"):
        wait_for(processes, timeout=1)
    assert not any(process.is_alive() for process in processes)


def test_ctrl_c_ends_a_shared_memory_world_quietly(tmp_path):
    import signal
    import time

    script = tmp_path / "loop.py"
    script.write_text(
        "import time\nimport npgrad, npgrad.distributed as dist\ndist.init_process_group()\n"
        "print('started', flush=True)\nwhile True:\n    dist.all_reduce(npgrad.ones(3))\n    time.sleep(0.01)\n"
    )
    command = [sys.executable, "-m", "npgrad.distributed.launch", "--nproc", "2", str(script)]
    world = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background job ignores Ctrl-C
    )
    try:
        assert world.stdout.readline() == "started\n"
        time.sleep(0.5)
        os.killpg(world.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: every process of the group
        _, err = world.communicate(timeout=30)
    finally:
        if world.poll() is None:
            os.killpg(world.pid, signal.SIGKILL)
    assert world.returncode == 130 and "Traceback" not in err, err


def test_launched_processes_share_out_the_cores_unless_told_otherwise(monkeypatch):
    from npgrad.distributed.launch import THREAD_VARIABLES, worker_environment

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert [worker_environment(2)[name] for name in THREAD_VARIABLES] == ["2", "2", "2"]
    assert worker_environment(8)["OMP_NUM_THREADS"] == "1"  # at least one thread each
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert worker_environment(2)["OPENBLAS_NUM_THREADS"] == "3"  # a count the user set stays
    assert worker_environment(2, threads=1)["OPENBLAS_NUM_THREADS"] == "1"  # an explicit one wins


def test_without_mpi4py_one_process_is_a_world_of_one(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now raises ImportError
    for variable in process_group._LAUNCHER_SIZE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    dist.init_process_group(backend="mpi")
    try:
        assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "single-process")
        assert dist.is_available() and not dist.is_mpi_available()
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
    np.testing.assert_array_equal(seen[0], [3.0, 5.0])  # 1 + 2w
    np.testing.assert_array_equal(w.grad.numpy(), [1.5, 2.5])
    np.testing.assert_array_equal(v.grad.numpy(), [3.0, 3.0])  # not touched by w's hook
    handle.remove()
    (w * 1.0).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="leaf tensors that require grad"):
        (w * 2.0).register_post_accumulate_grad_hook(halve)


# -- DistributedDataParallel ----------------------------------------------------------------
@pytest.fixture(scope="module")
def two_process_weights(tmp_path_factory):
    """Every run of distributed_scripts/equivalence.py on 2 processes, once for the module."""
    out = tmp_path_factory.mktemp("equivalence")
    result = run_world("equivalence.py", out, timeout=120)
    assert result.returncode == 0, result.stderr
    return [dict(np.load(out / f"rank{rank}.npz")) for rank in range(2)]


def _max_difference(two_process, name, reference):
    return max(np.abs(two_process[f"{name}/{key}"] - value).max() for key, value in reference.items())


@pytest.mark.parametrize("name", ["mlp", "lstm", "mlp_no_sync"])
def test_two_processes_train_as_one_with_the_same_global_batch(two_process_weights, name):
    """50 SGD steps (momentum 0.9): each of 2 ranks on half of every global batch of 16 gives
    the weights of one process on the whole batch, to float32 rounding."""
    from distributed_scripts import equivalence

    reference = equivalence.state_arrays(equivalence.train(name, **equivalence.RUNS[name]))
    assert _max_difference(two_process_weights[0], name, reference) < 2e-6
    for key in reference:  # the replicas stay identical
        np.testing.assert_array_equal(two_process_weights[0][f"{name}/{key}"], two_process_weights[1][f"{name}/{key}"])


def test_batchnorm_two_processes_equal_one_process_normalizing_each_half(two_process_weights):
    """The BatchNorm caveat: each rank normalizes with its own half-batch statistics, so the
    2-process run equals one process that normalizes each half separately (running statistics
    rank 0's), not one process normalizing the whole batch."""
    from distributed_scripts import equivalence

    per_half = equivalence.state_arrays(equivalence.train("cnn_bn", splits=2))
    whole = equivalence.state_arrays(equivalence.train("cnn_bn"))
    assert _max_difference(two_process_weights[0], "cnn_bn", per_half) < 2e-6
    assert _max_difference(two_process_weights[0], "cnn_bn", whole) > 1e-2
    for key in ("0.weight", "1.weight", "1.bias", "4.weight"):  # the replicas stay identical
        np.testing.assert_array_equal(two_process_weights[0][f"cnn_bn/{key}"], two_process_weights[1][f"cnn_bn/{key}"])


def _tiny_mlp():
    npgrad.manual_seed(0)
    return npgrad.nn.Sequential(npgrad.nn.Linear(3, 4), npgrad.nn.Tanh(), npgrad.nn.Linear(4, 2))


def test_ddp_buckets_follow_reverse_registration_order_and_the_size_cap(single_process_group):
    from npgrad.nn.parallel import DistributedDataParallel

    model = _tiny_mlp()
    ddp = DistributedDataParallel(model, bucket_cap_mb=40 / 2**20)  # 40 bytes: 10 floats
    names = {id(p): n for n, p in model.named_parameters()}
    assert [[names[id(p)] for p in b.params] for b in ddp._buckets] == [
        ["2.bias", "2.weight"],
        ["0.bias"],
        ["0.weight"],
    ]
    assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]  # as PyTorch's DDP


def test_ddp_no_sync_accumulates_locally_and_the_next_backward_communicates(single_process_group, monkeypatch):
    from npgrad.nn.parallel import DistributedDataParallel

    calls = []
    real_all_reduce = dist.all_reduce
    monkeypatch.setattr(dist, "all_reduce", lambda *a, **k: calls.append(1) or real_all_reduce(*a, **k))
    model, plain = _tiny_mlp(), _tiny_mlp()
    ddp = DistributedDataParallel(model, bucket_cap_mb=40 / 2**20)
    x = npgrad.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    with ddp.no_sync():
        ddp(x).sum().backward()
    assert calls == []
    ddp(x * 2.0).sum().backward()
    assert len(calls) == 3  # one all-reduce per bucket
    plain(x).sum().backward()
    plain(x * 2.0).sum().backward()
    for p, q in zip(model.parameters(), plain.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)


def test_ddp_refuses_a_parameter_left_out_of_the_loss(single_process_group):
    from npgrad.nn.parallel import DistributedDataParallel

    model = _tiny_mlp()
    ddp = DistributedDataParallel(model, bucket_cap_mb=1000)  # one bucket
    x = npgrad.ones(2, 3)
    (model[0](x).sum() + ddp(x).sum() * 0.0).backward()  # fine: every parameter used
    ddp(x)
    model[0](x).sum().backward()  # the second Linear gets no gradient
    with pytest.raises(RuntimeError, match=r"no gradient to \['2.bias', '2.weight'\]"):
        ddp(x)


def test_ddp_argument_errors():
    from npgrad.nn.parallel import DistributedDataParallel

    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedDataParallel(_tiny_mlp())
    dist.init_process_group()
    try:
        with pytest.raises(TypeError, match="expected an nn.Module"):
            DistributedDataParallel(lambda x: x)
        with pytest.raises(ValueError, match="find_unused_parameters"):
            DistributedDataParallel(_tiny_mlp(), find_unused_parameters=True)
    finally:
        dist.destroy_process_group()


# -- DistributedSampler ---------------------------------------------------------------------
@pytest.mark.parametrize("size", [10, 11, 3, 1])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_splits_and_pads_as_pytorch(size, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = npgrad.data.DistributedSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_shuffles_one_order_per_epoch_shared_by_every_rank(drop_last):
    def epoch(rank, number):
        sampler = npgrad.data.DistributedSampler(range(10), 4, rank, seed=7, drop_last=drop_last)
        sampler.set_epoch(number)
        return list(sampler)

    ranks = [epoch(rank, 0) for rank in range(4)]
    interleaved = [index for group in zip(*ranks) for index in group]
    assert len(set(map(len, ranks))) == 1
    if drop_last:  # 8 distinct indices, 2 left out
        assert len(interleaved) == len(set(interleaved)) == 8
    else:  # all 10, the first 2 of the order repeated to make 12
        assert sorted(set(interleaved)) == list(range(10)) and interleaved[10:] == interleaved[:2]
    assert ranks == [epoch(rank, 0) for rank in range(4)]
    assert ranks != [epoch(rank, 1) for rank in range(4)]


def test_distributed_sampler_errors():
    with pytest.raises(RuntimeError, match="num_replicas= or call"):
        npgrad.data.DistributedSampler(range(4))
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        npgrad.data.DistributedSampler(range(4), num_replicas=2, rank=2)


def test_distributed_sampler_defaults_to_the_process_group(single_process_group):
    sampler = npgrad.data.DistributedSampler(range(5), shuffle=False)
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (1, 0, [0, 1, 2, 3, 4])


# -- the Trainer as N processes -------------------------------------------------------------
def _trainer_run(tmp_path, name, epochs, resume=None, nproc=2):
    out = tmp_path / name
    out.mkdir()
    result = run_world("trainer_run.py", out, epochs, *([resume] if resume else []), nproc=nproc)
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def _one_process(tmp_path, name, epochs, resume=None):
    """(output folder, trainer) of the same run on this one process."""
    from distributed_scripts import trainer_run

    out = tmp_path / name
    out.mkdir()
    return out, trainer_run.run(out, epochs, resume)


def _assert_same_weights(saved_npz, weights):
    saved = np.load(saved_npz)
    assert sorted(saved.files) == sorted(weights)
    for key, value in weights.items():
        np.testing.assert_allclose(saved[key], value, rtol=0, atol=1e-6)


def test_trainer_on_two_processes_equals_one_process_and_only_rank0_writes(tmp_path):
    from distributed_scripts.trainer_run import weights

    out, stdout = _trainer_run(tmp_path, "two", 3)
    _, one = _one_process(tmp_path, "one", 3)
    for rank in range(2):
        _assert_same_weights(out / f"final_rank{rank}.npz", weights(one.model))
    assert [stdout.count(f"epoch {e}/3 - step 4/4") for e in (1, 2, 3)] == [1, 1, 1]  # rank 0's lines only
    assert len((out / "metrics.csv").read_text().splitlines()) == 4
    histories = [json.loads((out / f"history_rank{rank}.json").read_text()) for rank in range(2)]
    assert histories[0] == histories[1]  # metrics reduced over both ranks' samples
    for name, values in one.history.history.items():
        np.testing.assert_allclose(histories[0][name], values, rtol=1e-6)


def test_evaluate_on_two_processes_shares_out_the_samples_and_equals_one_process(tmp_path):
    from distributed_scripts.trainer_run import tested

    out, _ = _trainer_run(tmp_path, "two", 1)
    one = tested(_one_process(tmp_path, "one", 1)[1])
    ranks = [json.loads((out / f"tested_rank{rank}.json").read_text()) for rank in range(2)]
    assert one["evaluated"] == 96 and [rank["evaluated"] for rank in ranks] == [48, 48]
    assert ranks[0]["result"] == ranks[1]["result"]
    for name, value in one["result"].items():
        np.testing.assert_allclose(ranks[0]["result"][name], value, rtol=1e-6)


def test_a_distributed_checkpoint_resumes_on_one_process_and_back(tmp_path):
    """Stopped after 2 of 3 epochs on 2 processes and resumed on 1, or the other way round:
    the weights of one uninterrupted process."""
    from distributed_scripts.trainer_run import weights

    uninterrupted = weights(_one_process(tmp_path, "uninterrupted", 3)[1].model)
    two, _ = _trainer_run(tmp_path, "two", 2)
    resumed_on_one = weights(_one_process(tmp_path, "resumed_on_one", 3, resume=two / "last.safetensors")[1].model)
    one, _ = _one_process(tmp_path, "one", 2)
    back, _ = _trainer_run(tmp_path, "back", 3, resume=one / "last.safetensors")
    for key in uninterrupted:
        np.testing.assert_allclose(resumed_on_one[key], uninterrupted[key], rtol=0, atol=1e-6)
    _assert_same_weights(back / "final_rank1.npz", uninterrupted)


def test_trainer_refuses_a_batch_that_does_not_split_over_the_processes(monkeypatch):
    from npgrad.train import distributed as train_distributed

    monkeypatch.setattr(train_distributed, "world_size", lambda: 3)
    loader = npgrad.data.DataLoader(npgrad.data.TensorDataset(np.zeros((8, 2), np.float32)), batch_size=4)
    with pytest.raises(ValueError, match="batch size 4 does not split over 3 processes"):
        train_distributed.shard_loader(loader, training=True)


def test_global_batch_shards_are_the_parts_of_one_process_batches():
    order = npgrad.data.SequentialSampler(range(11))
    shards = [list(GlobalBatchShardSampler(order, 4, 2, rank)) for rank in range(2)]
    assert shards == [[0, 1, 4, 5, 8, 9], [2, 3, 6, 7, 10]]  # batches 0-3, 4-7, 8-10 halved
    small_last_dropped = [list(GlobalBatchShardSampler(order, 5, 2, rank, drop_small_last=True)) for rank in range(2)]
    assert small_last_dropped == [[0, 1, 2, 5, 6, 7], [3, 4, 8, 9]]  # batch [10] < 2 ranks
    assert [len(GlobalBatchShardSampler(order, 4, 2, rank, drop_last=True)) for rank in range(2)] == [4, 4]


TRAIN_QUICK = ["train", "--quick", "--model", "mlp", "--epochs", "1"]


def test_npgrad_train_starts_two_processes_and_rank0_reports(tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    command = [sys.executable, "-m", "npgrad.cli", *TRAIN_QUICK, "--out", str(tmp_path)]  # --nproc 2 by default
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("2 processes, each training on 64 images of every batch of 128") == 1
    assert result.stdout.count("test accuracy") == 1 and result.stdout.count("run written to") == 1
    assert len((tmp_path / "metrics.csv").read_text().splitlines()) == 2
    assert {"best.safetensors", "last.safetensors", "config.json", "result.json"} <= {
        p.name for p in tmp_path.iterdir()
    }


@needs_mpi
def test_npgrad_train_under_mpiexec_gives_the_bits_of_nproc(tmp_path):
    """Two processes over MPI or over shared memory: the same sums, so the same weights to the bit."""
    from npgrad.distributed.launch import mpiexec_command, worker_environment

    for name, command in (
        ("shm", [sys.executable, "-m", "npgrad.cli", *TRAIN_QUICK, "--nproc", "2"]),
        ("mpi", mpiexec_command(2, ["-m", "npgrad.cli", *TRAIN_QUICK])),
    ):
        out = ["--out", str(tmp_path / name)]
        result = subprocess.run(
            [*command, *out], capture_output=True, text=True, timeout=120, env=worker_environment(2, 1)
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "shm" / "last.safetensors").read_bytes() == (tmp_path / "mpi" / "last.safetensors").read_bytes()


def test_cli_error_inside_a_distributed_run_ends_every_rank(monkeypatch):
    """An error the CLI would print and return from must abort the world, not leave the other
    ranks waiting in a collective."""
    aborted = []

    class FakeBackend(process_group._SingleProcessBackend):
        rank, size = 1, 2

        def abort(self, code):
            aborted.append(code)

    monkeypatch.setattr(process_group, "_backend", FakeBackend())
    with dist.abort_on_error():
        raise ValueError("only on rank 1")
    assert aborted == [1]


def test_data_parallel_lesson_same_curve_on_two_processes(quick_lesson):
    """Its processes start as `python -m npgrad.lessons.data_parallel --worker` under the
    shared-memory launcher, and once more under mpiexec to time MPI where MPI is installed."""
    result = quick_lesson("data-parallel")[0]
    assert result["steps"] == 10 and result["curve_gap"] < 1e-5
    timed = {"npgrad all_reduce, shared memory"}
    if _mpi_missing_reason() is None:
        timed |= {"npgrad all_reduce, MPI", "MPI ping-pong (one way)"}
    assert set(result["communication"]) == timed
    assert all(link["latency_s"] > 0 and link["bandwidth_Bps"] > 0 for link in result["communication"].values())
    assert all(  # json keys are strings
        1 < speedups["8"] <= 8 and speedups["8"] < speedups["64"] <= 64
        for speedups in result["projected_speedup"].values()
    )
    assert all(rate > 0 for rate in result["throughput_images_per_second"].values())
    assert result["figures"] and all(os.path.exists(figure) for figure in result["figures"])


def test_pytorch_import_paths():
    from npgrad.utils.data.distributed import DistributedSampler

    assert DistributedSampler is npgrad.data.DistributedSampler
    assert npgrad.nn.parallel.DistributedDataParallel.__name__ == "DistributedDataParallel"
