"""npgrad.io: the safetensors reader/writer, corrupt files, atomic writes and checkpoints."""

import json
import os

import numpy as np
import pytest

import npgrad
from npgrad import io, nn, optim
from npgrad.nn.parameter import Parameter
from npgrad.data import DataLoader, TensorDataset, transforms

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def sample_arrays():
    rng = np.random.default_rng(0)
    return {
        "weight": rng.normal(size=(3, 4)).astype(np.float32),
        "double": rng.normal(size=(2,)).astype(np.float64),
        "labels": np.array([3, -1, 2**40], dtype=np.int64),
        "mask": np.array([[True, False], [False, True]]),
        "bytes": np.arange(5, dtype=np.uint8),
        "half": np.array([0.5, -2.0], dtype=np.float16),
        "scalar": np.array(7.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }


def assert_same_arrays(got, expected):
    assert list(got) == list(expected)
    for name, array in expected.items():
        assert got[name].dtype == array.dtype, name
        assert got[name].shape == array.shape, name
        np.testing.assert_array_equal(got[name], array)


def header_of(path):
    with open(path, "rb") as f:
        content = f.read()
    length = int.from_bytes(content[:8], "little")
    return json.loads(content[8 : 8 + length]), content


# -- round trips ----------------------------------------------------------------------------
def test_round_trip_keeps_dtypes_shapes_values_and_order(tmp_path):
    arrays = sample_arrays()
    io.save(arrays, tmp_path / "a.safetensors")
    loaded = io.load(tmp_path / "a.safetensors")
    assert_same_arrays(loaded, arrays)
    assert all(a.flags.writeable and a.flags.c_contiguous for a in loaded.values())


def test_big_endian_and_non_contiguous_arrays_are_stored_as_values(tmp_path):
    matrix = np.arange(12, dtype=">f4").reshape(3, 4)
    io.save({"big": matrix, "strided": matrix.T}, tmp_path / "a.safetensors")
    loaded = io.load(tmp_path / "a.safetensors")
    np.testing.assert_array_equal(loaded["big"], matrix)
    np.testing.assert_array_equal(loaded["strided"], matrix.T)
    assert loaded["big"].dtype == np.float32


def test_module_state_dict_and_tensors_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    io.save(model.state_dict(keep_vars=True), tmp_path / "m.safetensors")  # Parameters, not arrays
    other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    other.load_state_dict(io.load(tmp_path / "m.safetensors"))
    for (name, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_nested_object_round_trips_with_json_values(tmp_path):
    obj = {
        "model": {"fc.weight": np.ones((2, 2), np.float32)},
        "epoch": 3,
        "lr": 0.1,
        "name": "run",
        "flags": [True, None],
        "big": 2**100,
        "inf": float("inf"),
        "numpy_number": np.float32(0.5),
        "layers": [np.zeros(2, np.int64), {"bias": np.ones(1)}],
    }
    io.save(obj, tmp_path / "n.safetensors")
    loaded = io.load(tmp_path / "n.safetensors")
    assert loaded["epoch"] == 3 and loaded["lr"] == 0.1 and loaded["name"] == "run"
    assert loaded["flags"] == [True, None] and loaded["big"] == 2**100 and loaded["inf"] == float("inf")
    assert loaded["numpy_number"] == 0.5
    np.testing.assert_array_equal(loaded["model"]["fc.weight"], obj["model"]["fc.weight"])
    np.testing.assert_array_equal(loaded["layers"][0], obj["layers"][0])
    np.testing.assert_array_equal(loaded["layers"][1]["bias"], obj["layers"][1]["bias"])
    header, _ = header_of(tmp_path / "n.safetensors")
    assert set(header) - {"__metadata__"} == {"model.fc.weight", "layers.0", "layers.1.bias"}


def test_save_rejects_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save 'f', a function; expected Tensors, arrays, numbers"):
        io.save({"f": lambda: 0}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"cannot save 'c\.1', a complex"):
        io.save({"c": [0, 1j]}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="a key of 'k' is a tuple"):
        io.save({"k": {(1, 2): 3}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="dtype object"):
        io.save({"o": np.array([None])}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="both named 'a.b'"):
        io.save({"a.b": np.zeros(1), "a": {"b": np.ones(1)}}, tmp_path / "x.safetensors")
    assert not os.listdir(tmp_path)  # nothing half-written left behind


# -- what torch.save receives in teaching code -----------------------------------------------
def teaching_checkpoint(lib, model_state, optimizer_state):
    """The dict PyTorch's tutorials save, in npgrad or torch."""
    return {
        "epoch": 3,
        "model_state_dict": model_state,
        "optimizer_state_dict": optimizer_state,
        "loss": lib.tensor(0.125),
        "history": [0.5, 0.25],
        "best": None,
        "resumed": False,
        "shape": (2, 3),
        "layers": {1: "fc1", 2: "fc2"},
        "name": "mlp",
        "samples": [lib.ones(2), (lib.zeros(1, 2), 7)],
    }


def structure(value):
    """A comparable picture of a loaded object: containers, keys, and each tensor's kind, shape
    and values (npgrad and torch tensors alike)."""
    if isinstance(value, dict):
        return ("dict", [(key, structure(item)) for key, item in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [structure(item) for item in value])
    if hasattr(value, "shape") and not isinstance(value, np.ndarray):  # a Tensor
        array = value.detach().numpy()
        return ("Tensor", array.shape, array.tolist(), bool(value.requires_grad))
    if isinstance(value, np.ndarray):
        return ("Tensor", value.shape, value.tolist(), False)
    return value


def make_model_and_optimizer():
    npgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    (model(npgrad.ones(2, 3)) ** 2).sum().backward()
    optimizer.step()
    return model, optimizer


def test_teaching_checkpoint_loads_back_as_torch_load_gives_it(tmp_path):
    model, optimizer = make_model_and_optimizer()
    npgrad.save(teaching_checkpoint(npgrad, model.state_dict(), optimizer.state_dict()), tmp_path / "ckpt.pt")
    loaded = npgrad.load(tmp_path / "ckpt.pt")

    torch = pytest.importorskip("torch")
    as_torch = {key: torch.from_numpy(np.array(value)) for key, value in model.state_dict().items()}
    torch_optimizer_state = {
        "state": {
            index: {name: torch.tensor(np.asarray(value)) for name, value in state.items()}
            for index, state in optimizer.state_dict()["state"].items()
        },
        "param_groups": optimizer.state_dict()["param_groups"],
    }
    buffer = __import__("io").BytesIO()
    torch.save(teaching_checkpoint(torch, as_torch, torch_optimizer_state), buffer)
    buffer.seek(0)
    expected = torch.load(buffer)
    # npgrad's state_dicts hold arrays and plain numbers where PyTorch's hold tensors
    expected["optimizer_state_dict"]["state"] = {
        index: {name: value.item() if name == "step" else value for name, value in state.items()}
        for index, state in expected["optimizer_state_dict"]["state"].items()
    }
    assert structure(loaded) == structure(expected)

    other_model, other_optimizer = make_model_and_optimizer()
    other_model.load_state_dict(loaded["model_state_dict"])
    other_optimizer.load_state_dict(loaded["optimizer_state_dict"])
    assert structure(other_optimizer.state_dict()) == structure(optimizer.state_dict())
    assert isinstance(loaded["optimizer_state_dict"]["param_groups"][0]["betas"], tuple)


def test_tensors_come_back_as_tensors_and_parameters_as_parameters(tmp_path):
    weight = Parameter(npgrad.randn(2, 3))
    frozen = npgrad.randn(3, requires_grad=False)
    npgrad.save(weight, tmp_path / "w.pt")
    loaded = npgrad.load(tmp_path / "w.pt")
    assert type(loaded) is Parameter and loaded.requires_grad
    np.testing.assert_array_equal(loaded.detach().numpy(), weight.detach().numpy())
    npgrad.save([frozen, (weight * 2).sum()], tmp_path / "l.pt")  # a non-leaf is saved as a leaf, as in PyTorch
    first, total = npgrad.load(tmp_path / "l.pt")
    assert type(first) is npgrad.Tensor and not first.requires_grad and total.requires_grad and total.is_leaf
    assert total.item() == pytest.approx(float(weight.detach().numpy().sum() * 2), rel=1e-6)


def test_file_objects_and_torch_load_arguments(tmp_path):
    buffer = __import__("io").BytesIO()
    npgrad.save({"x": npgrad.arange(3)}, buffer)
    buffer.seek(0)
    loaded = npgrad.load(buffer, map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(loaded["x"].numpy(), [0, 1, 2])


def test_keys_that_look_like_markers_and_keys_that_are_not_strings(tmp_path):
    obj = {
        "__tensor__": "x",
        "__tuple__": [1],
        "nested": {"__dict__": 1},
        0: "int key",
        1.5: None,
        None: True,
        "0": "string key",
    }
    npgrad.save(obj, tmp_path / "k.pt")
    assert npgrad.load(tmp_path / "k.pt") == obj


@pytest.mark.parametrize("thing, name", [(nn.Linear(2, 2), "a Linear"), ({"opt": "optimizer"}, "'opt', a Adam")])
def test_a_whole_module_or_optimizer_is_refused_with_advice(tmp_path, thing, name):
    if isinstance(thing, dict):
        thing = {"opt": optim.Adam(nn.Linear(2, 2).parameters())}
    with pytest.raises(
        TypeError,
        match=f"npgrad.save: cannot save {name} object; save its state_dict"
        r"\(\) instead, as in npgrad.save\(model.state_dict\(\), path\)$",
    ):
        npgrad.save(thing, tmp_path / "m.pt")
    assert not os.listdir(tmp_path)


def test_an_object_nesting_too_deep_or_containing_itself_is_refused(tmp_path):
    loop = []
    loop.append(loop)
    deep = 0
    for _ in range(150):
        deep = [deep]
    for obj in (loop, deep):
        with pytest.raises(ValueError, match="nests more than 100 levels deep"):
            npgrad.save(obj, tmp_path / "d.pt")


STATE_SUMS = {
    "0.weight": 0.3437732942402363,
    "0.bias": -0.2452114224433899,
    "2.weight": -0.4025438651442528,
    "2.bias": -0.0009373128414154053,
}
EXP_AVG_SUMS = [0.006908752955496311, 0.0023029176518321037, -0.00613936095032841, -0.008724534302018583]
FILES = os.path.join(os.path.dirname(__file__), "files")


def test_files_written_before_any_object_could_be_saved_still_load():
    """tests/files/*_e52cce0.safetensors were written by npgrad.save as of commit e52cce0: a
    Linear(3, 4)-ReLU-Linear(4, 2) state_dict, and a checkpoint dict with its Adam state."""
    state = npgrad.load(os.path.join(FILES, "state_dict_e52cce0.safetensors"))
    checkpoint = npgrad.load(os.path.join(FILES, "checkpoint_e52cce0.safetensors"))
    for loaded in (state, checkpoint["model"]):
        assert {name: float(array.astype(np.float64).sum()) for name, array in loaded.items()} == STATE_SUMS
    assert (checkpoint["epoch"], checkpoint["loss"], checkpoint["history"], checkpoint["note"]) == (
        3,
        0.12,
        [0.5, 0.25],
        None,
    )
    model, optimizer = make_model_and_optimizer()
    model.load_state_dict(state)
    optimizer.load_state_dict(checkpoint["optimizer"])
    assert [float(optimizer.state[p]["exp_avg"].astype(np.float64).sum()) for p in model.parameters()] == EXP_AVG_SUMS
    assert optimizer.param_groups[0]["betas"] == [0.9, 0.999]  # old files kept tuples as lists


# -- compatibility with the safetensors package ---------------------------------------------
def test_safetensors_package_reads_npgrad_files(tmp_path):
    arrays = sample_arrays()
    io.save(arrays, tmp_path / "a.safetensors")
    assert_same_arrays(safetensors_numpy.load_file(tmp_path / "a.safetensors"), arrays)


def test_npgrad_reads_safetensors_package_files(tmp_path):
    arrays = sample_arrays()
    safetensors_numpy.save_file(arrays, tmp_path / "a.safetensors", metadata={"format": "np"})
    loaded = io.load(tmp_path / "a.safetensors")
    assert set(loaded) == set(arrays)
    assert_same_arrays({name: loaded[name] for name in arrays}, arrays)


def test_bytes_equal_the_safetensors_package_for_the_same_tensors_and_metadata(tmp_path):
    arrays = sample_arrays()
    safetensors_numpy.save_file(arrays, tmp_path / "reference.safetensors")
    reference_header, _ = header_of(tmp_path / "reference.safetensors")
    in_reference_order = {name: arrays[name] for name in reference_header if name != "__metadata__"}
    io.save(in_reference_order, tmp_path / "ours.safetensors")
    our_header, ours = header_of(tmp_path / "ours.safetensors")
    safetensors_numpy.save_file(
        in_reference_order, tmp_path / "theirs.safetensors", metadata=our_header["__metadata__"]
    )
    assert ours == (tmp_path / "theirs.safetensors").read_bytes()


# -- damaged files --------------------------------------------------------------------------
@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "last.safetensors"
    io.save(sample_arrays(), path)
    return path


def rewrite(path, content):
    path.write_bytes(content)
    return path


def test_truncated_file_names_the_file_and_the_sizes(good_file):
    content = good_file.read_bytes()
    rewrite(good_file, content[:200])
    length = int.from_bytes(content[:8], "little")
    with pytest.raises(
        io.CorruptCheckpointError,
        match=f"last.safetensors is truncated or corrupt: header says {length} bytes, file has 192",
    ):
        io.load(good_file)


def test_truncated_data_is_caught(good_file):
    rewrite(good_file, good_file.read_bytes()[:-3])
    with pytest.raises(io.CorruptCheckpointError, match="tensors take .* bytes, file has .* after the header"):
        io.load(good_file)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "has 0 bytes, fewer than the 8"),
        (b"\x80\x03}q\x00.", "has 6 bytes"),  # a small pickle
        ((2**63).to_bytes(8, "little") + b"{}", "header says 9223372036854775808 bytes"),
        ((4).to_bytes(8, "little") + b"{{{{", "not valid JSON"),
        ((2).to_bytes(8, "little") + b"[]", "not a JSON object"),
        ((14).to_bytes(8, "little") + b'{"x": {"a":1}}', "entry of tensor 'x' is malformed"),
    ],
)
def test_garbage_gives_a_clear_error(tmp_path, content, message):
    path = rewrite(tmp_path / "bad.safetensors", content)
    with pytest.raises(io.CorruptCheckpointError, match=message) as error:
        io.load(path)
    assert str(path) in str(error.value)


def hand_made(header, data=b""):
    """A safetensors file's bytes from a header dict (or JSON text) and data bytes."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def entry(shape, offsets, dtype="F32"):
    return {"dtype": dtype, "shape": shape, "data_offsets": offsets}


class RecordingFile(__import__("io").BytesIO):
    """A file object that remembers how many bytes each read asked for."""

    def __init__(self, content):
        super().__init__(content)
        self.reads = []

    def read(self, size=-1):
        self.reads.append(size)
        return super().read(size)


@pytest.mark.parametrize(
    "header, message",
    [
        (
            {"x": entry([2**32, 2**32], [0, 0])},
            r"tensor 'x' has shape \[4294967296, 4294967296\], too large for any array",
        ),
        ({"x": entry([0, 2**62], [0, 0])}, r"tensor 'x' has shape \[0, 4611686018427387904\], too large"),
        ({"x": entry([2**62, 4, 0], [0, 0])}, "too large for any array"),
        ({"x": entry([2**64 + 1], [0, 4])}, "too large for any array"),
        ({"x": entry([-1], [0, 4])}, "the header entry of tensor 'x' is malformed"),
        ({"x": entry([True], [0, 4])}, "the header entry of tensor 'x' is malformed"),
        ({"x": entry([2.0], [0, 8])}, "the header entry of tensor 'x' is malformed"),
        ({"x": entry([1], [0, -4])}, "the header entry of tensor 'x' is malformed"),
        ({"x": entry([1], [8, 4])}, r"needs 4 bytes, its offsets span -4"),
        ({"x": entry([1], [0, 2**70])}, r"needs 4 bytes, its offsets span 1180591620717411303424"),
        ({"x": entry([2**40], [0, 2**42])}, r"header says the tensors take 4398046511104 bytes, file has 16"),
        ({"x": entry([1], [4, 8])}, "gap or overlap at byte 0 of the data"),
        ({"x": entry([2], [0, 8]), "y": entry([2], [4, 12])}, "gap or overlap at byte 8 of the data"),
        ({"x": entry([2], [0, 8]), "y": entry([2], [0, 8])}, "gap or overlap at byte 8 of the data"),
        ({"x": entry([[2]], [0, 8])}, "the header entry of tensor 'x' is malformed"),
        ({"x": [1, 2]}, "the header entry of tensor 'x' is malformed"),
        ({}, "16 unexpected bytes after the last tensor"),
        ({"__metadata__": {"npgrad.tree": 7}}, "its __metadata__ is not an object of strings"),
        (b"[" * 100_000 + b"]" * 100_000, "its header nests too deeply to be a safetensors header"),
    ],
)
def test_hostile_headers_are_refused_before_the_data_is_read(header, message):
    file = RecordingFile(hand_made(header, bytes(16)))
    file.name = "hostile.safetensors"
    with pytest.raises(io.CorruptCheckpointError, match=message) as error:
        io.load(file)
    assert str(error.value).startswith("hostile.safetensors is truncated or corrupt: ")
    assert file.reads == [8, int.from_bytes(file.getvalue()[:8], "little")]  # nothing read after the header


@pytest.mark.parametrize(
    "tree, message",
    [
        ("[" * 5000 + "]" * 5000, r"its structure \(npgrad.tree\) does not parse, nests too deeply"),
        ("[" * 150 + "]" * 150, "it nests more than 100 levels deep"),
        ('{"a": {"__tensor__": "missing"}}', "names a missing tensor"),
        ('{"a": ', "does not parse"),
    ],
)
def test_a_hostile_structure_is_refused(tmp_path, tree, message):
    path = rewrite(tmp_path / "tree.safetensors", hand_made({"__metadata__": {"npgrad.tree": tree}}))
    with pytest.raises(io.CorruptCheckpointError, match=message):
        io.load(path)


def test_a_header_larger_than_safetensors_allows_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "_MAX_HEADER", 1000)
    path = rewrite(tmp_path / "big.safetensors", hand_made({"__metadata__": {"pad": "x" * 2000}}))
    with pytest.raises(
        io.CorruptCheckpointError, match="header says 2029 bytes, more than the 1000 a safetensors header may have"
    ):
        io.load(path)


def test_a_pytorch_pickle_file_is_named_as_one(tmp_path):
    torch = pytest.importorskip("torch")
    for name, legacy in (("zip.pt", False), ("legacy.pt", True)):
        torch.save({"w": torch.ones(2)}, tmp_path / name, _use_new_zipfile_serialization=not legacy)
        with pytest.raises(
            io.CorruptCheckpointError, match="it is a PyTorch pickle file .* safetensors.torch.save_file"
        ):
            io.load(tmp_path / name)
    io.save({"x" * 24: np.zeros(1, np.float32)}, tmp_path / "ours.safetensors")  # header length 0x80,
    assert (tmp_path / "ours.safetensors").read_bytes()[:1] == b"\x80"  # a pickle's first byte
    assert list(io.load(tmp_path / "ours.safetensors")) == ["x" * 24]


def test_flipped_data_byte_fails_the_checksum(good_file):
    content = bytearray(good_file.read_bytes())
    content[-20] ^= 0xFF
    rewrite(good_file, bytes(content))
    with pytest.raises(io.CorruptCheckpointError, match="does not match the checksum"):
        io.load(good_file)


def test_extra_bytes_and_wrong_sizes_are_caught(good_file, tmp_path):
    rewrite(good_file, good_file.read_bytes() + b"xx")
    with pytest.raises(io.CorruptCheckpointError, match="2 unexpected bytes after the last tensor"):
        io.load(good_file)
    header = json.dumps({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}).encode()
    path = rewrite(tmp_path / "size.safetensors", len(header).to_bytes(8, "little") + header + bytes(8))
    with pytest.raises(io.CorruptCheckpointError, match=r"needs 12 bytes, its offsets span 8"):
        io.load(path)


def test_dtype_numpy_lacks_is_named(tmp_path):
    header = json.dumps({"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    path = rewrite(tmp_path / "bf16.safetensors", len(header).to_bytes(8, "little") + header + bytes(4))
    with pytest.raises(TypeError, match="dtype BF16, which npgrad cannot read"):
        io.load(path)


# -- atomic writes --------------------------------------------------------------------------
def test_a_crash_while_writing_keeps_the_last_good_file(good_file, monkeypatch):
    def write_half_then_crash(file, tensors, metadata):
        file.write(b"\x00" * 100)
        raise KeyboardInterrupt("killed while saving")

    monkeypatch.setattr(io, "_write_safetensors", write_half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        io.save({"new": np.zeros(3)}, good_file)
    monkeypatch.undo()
    assert_same_arrays(io.load(good_file), sample_arrays())
    assert not os.path.exists(str(good_file) + ".tmp")


def test_a_failed_rename_keeps_the_last_good_file(good_file, monkeypatch):
    def failing_replace(source, target):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk gone"):
        io.save({"new": np.zeros(3)}, good_file)
    monkeypatch.undo()
    assert_same_arrays(io.load(good_file), sample_arrays())


def test_the_file_is_written_through_a_temporary_and_synced(tmp_path, monkeypatch):
    calls = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: calls.append(("replace", a, b)) or real_replace(a, b))
    path = str(tmp_path / "w.safetensors")
    io.save({"x": np.zeros(2)}, path)
    assert calls[0] == "fsync" and calls[1] == ("replace", path + ".tmp", path)


# -- checkpoints ----------------------------------------------------------------------------
def build(seed=0):
    npgrad.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=20)
    data = TensorDataset(np.random.default_rng(seed).normal(size=(8, 3)).astype(np.float32))
    loader = DataLoader(data, batch_size=4, shuffle=True, generator=seed, batch_transform=transforms.Compose([]))
    return model, optimizer, scheduler, loader


def take_a_step(model, optimizer, scheduler):
    loss = (model(npgrad.ones(2, 3)) ** 2).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()


def test_checkpoint_restores_everything(tmp_path):
    model, optimizer, scheduler, loader = build(0)
    for _ in range(3):
        take_a_step(model, optimizer, scheduler)
    path = tmp_path / "ckpt.safetensors"
    io.save_checkpoint(
        path, model, optimizer, scheduler, epoch=4, global_step=3, loaders=[loader], extra={"note": "hi"}
    )
    expected_draw, expected_order = npgrad.rand(3).numpy(), list(loader.sampler)

    model2, optimizer2, scheduler2, loader2 = build(1)
    checkpoint = io.load_checkpoint(path, model2, optimizer2, scheduler2, loaders=[loader2])
    assert (checkpoint["epoch"], checkpoint["global_step"], checkpoint["extra"]) == (4, 3, {"note": "hi"})
    for (name, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    np.testing.assert_array_equal(npgrad.rand(3).numpy(), expected_draw)
    assert list(loader2.sampler) == expected_order
    assert scheduler2.last_epoch == scheduler.last_epoch and scheduler2._phases == scheduler._phases
    assert optimizer2.param_groups[0]["betas"] == optimizer.param_groups[0]["betas"]
    assert isinstance(optimizer2.param_groups[0]["betas"], tuple)
    take_a_step(model, optimizer, scheduler)
    take_a_step(model2, optimizer2, scheduler2)
    for (name, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_checkpoint_loading_errors_are_clear(tmp_path):
    model, optimizer, scheduler, loader = build(0)
    io.save(model.state_dict(), tmp_path / "weights.safetensors")
    with pytest.raises(ValueError, match="is not an npgrad checkpoint"):
        io.load_checkpoint(tmp_path / "weights.safetensors", model)
    io.save_checkpoint(tmp_path / "c.safetensors", model)
    with pytest.raises(ValueError, match="no optimizer state"):
        io.load_checkpoint(tmp_path / "c.safetensors", model, optimizer)
    with pytest.raises(ValueError, match="holds the states of 0 data-loader random generators"):
        io.load_checkpoint(tmp_path / "c.safetensors", model, loaders=[loader])


def test_random_generators_finds_samplers_and_transforms():
    crop = transforms.RandomCrop(2, generator=5)
    loader = DataLoader(
        TensorDataset(np.zeros((4, 1, 2, 2), np.float32)),
        batch_size=2,
        shuffle=True,
        generator=3,
        batch_transform=transforms.Compose([crop, crop]),
    )
    assert io.random_generators(loader) == [loader.sampler.generator, crop.generator]
    assert io.random_generators(DataLoader(TensorDataset(np.zeros(3)), shuffle=True)) == []  # global one
