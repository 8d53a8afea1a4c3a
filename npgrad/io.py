"""Saving and loading: npgrad.save / npgrad.load in the safetensors format, and checkpoints.

A safetensors file is
    8 bytes        N, the length of the header, a little-endian unsigned 64-bit integer
    N bytes        a JSON object: for every tensor {"dtype": "F32", "shape": [2, 3],
                   "data_offsets": [start, end]}, plus an optional "__metadata__" object
                   whose values are all strings
    the rest       the tensors' raw bytes, little-endian, C order; offsets count from here.
Nothing in it is code, so loading a file can never run any (unlike pickle).

npgrad writes the format itself (the `safetensors` package is not needed; its files and
npgrad's read each other). Besides the tensors, the header's __metadata__ holds
  "npgrad.crc32": a checksum of the data, so a damaged file is caught on load;
  "npgrad.tree":  when the saved object is more than a flat dict of arrays (a Tensor, a
                  checkpoint with epoch numbers, RNG state, optimizer options, nested dicts),
                  its structure as JSON, each array replaced by {"__tensor__": its dotted name}
                  (a Tensor's marker adds "class" and "requires_grad"), a tuple by
                  {"__tuple__": [...]}, a dict with keys other than strings by
                  {"__dict__": [[key, value], ...]}.
The header is checked before anything else is read (at most 100 MB, a JSON object of entries
whose shapes, dtypes and offsets agree and tile the data), so a corrupt or hostile file is
refused with a clear error instead of allocating what it claims.
Files are written atomically: to `path + ".tmp"`, flushed to disk, then renamed over `path`,
so a crash while saving never destroys the previous file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import zlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import IO, Any, Union

import numpy as np

from . import random
from .nn.module import Module
from .optim.lr_scheduler import LRScheduler
from .optim.optimizer import Optimizer
from .tensor import Tensor

FileLike = Union[str, os.PathLike, IO[bytes]]  # a path, or a binary file object

_DTYPES = {
    "F16": "<f2",
    "F32": "<f4",
    "F64": "<f8",
    "I8": "i1",
    "I16": "<i2",
    "I32": "<i4",
    "I64": "<i8",
    "U8": "u1",
    "U16": "<u2",
    "U32": "<u4",
    "U64": "<u8",
    "BOOL": "?",
}
_CODE_OF = {np.dtype(spec): code for code, spec in _DTYPES.items()}
_TENSOR, _TUPLE, _DICT = "__tensor__", "__tuple__", "__dict__"
_MARKERS = {_TENSOR, _TUPLE, _DICT}
_MAX_DEPTH = 100  # levels of nesting a saved object may have; deeper files are refused as corrupt
_MAX_HEADER = 100_000_000  # bytes of JSON header, the limit of the reference safetensors reader
_TREE_KEY, _CRC_KEY = "npgrad.tree", "npgrad.crc32"


class CorruptCheckpointError(ValueError):
    """A file that is not a complete, intact safetensors file (truncated, damaged, or not one)."""


# -- save / load -----------------------------------------------------------------------------
def save(obj: Any, f: FileLike) -> None:
    """Save `obj` to `f` (a path, or a binary file object) as safetensors: what torch.save
    usually receives, without pickle. `obj` is a Tensor or array, or a dict / list / tuple
    nesting them with numbers, strings, bools and None (a state_dict, or a checkpoint such as
    {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(), "loss": 0.12}).
    The arrays are stored as tensors named by their dotted path ("optimizer.state.0.exp_avg"),
    the rest as JSON in the header. load(f) gives back an equal object: Tensors as Tensors
    (Parameters as Parameters, requires_grad kept), arrays as arrays, tuples as tuples.
    A whole nn.Module (or any other object) is refused: save its state_dict() instead.
    """
    tensors: dict[str, np.ndarray] = {}
    tree = _split_tree(obj, "", tensors, depth=0)
    metadata = {}
    if not _is_flat(tree):  # anything but a plain dict of arrays (a state_dict) needs its structure
        metadata[_TREE_KEY] = json.dumps(tree, separators=(",", ":"))
    if hasattr(f, "write"):
        _write_safetensors(f, tensors, metadata)
    else:
        _write_atomically(f, lambda file: _write_safetensors(file, tensors, metadata))


def load(f: FileLike, map_location: Any = None, *, weights_only: bool | None = None, mmap: bool | None = None) -> Any:
    """What save() wrote to `f` (a path or a binary file object; any safetensors file): a dict
    of NumPy arrays in file order for a plain state_dict, or the saved object. PyTorch's
    map_location, weights_only and mmap are accepted and ignored: everything loads to the CPU,
    and a file never holds code. Raises CorruptCheckpointError for a truncated or damaged file."""
    tensors, metadata = _read_safetensors(f)
    if _TREE_KEY not in metadata:
        return tensors
    try:
        return _join_tree(json.loads(metadata[_TREE_KEY]), tensors, depth=0)
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise _corrupt(
            f, f"its structure ({_TREE_KEY}) does not parse, nests too deeply or names a missing tensor: {error}"
        ) from None


def _is_flat(tree):
    return isinstance(tree, dict) and all(value == {_TENSOR: name} for name, value in tree.items())


def _split_tree(value, name, tensors, depth):
    """`value` as JSON, every array replaced by a marker {"__tensor__": name} (a Tensor's also
    says "class" and "requires_grad"), tuples by {"__tuple__": items}, and dicts whose keys are
    not all strings (or look like a marker) by {"__dict__": [[key, value], ...]}; the arrays go
    into `tensors` under their dotted path."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"npgrad.save: the object nests more than {_MAX_DEPTH} levels deep (or contains itself)")
    if isinstance(value, (Tensor, np.ndarray)):
        return _tensor_marker(value, name or "tensor", tensors)
    if isinstance(value, Mapping):
        items = [(key, _split_tree(item, _join(name, key), tensors, depth + 1)) for key, item in value.items()]
        if all(isinstance(key, str) for key, _ in items) and not _MARKERS & set(value):
            return dict(items)
        return {_DICT: [[_json_key(key, name), item] for key, item in items]}
    if isinstance(value, (list, tuple)):
        items = [_split_tree(item, _join(name, i), tensors, depth + 1) for i, item in enumerate(value)]
        return {_TUPLE: items} if isinstance(value, tuple) else items
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    what = f"{name!r}, a {type(value).__name__}" if name else f"a {type(value).__name__}"
    if hasattr(value, "state_dict"):  # a Module, an optimizer, a scheduler
        raise TypeError(
            f"npgrad.save: cannot save {what} object; save its state_dict() instead, as in "
            "npgrad.save(model.state_dict(), path)"
        )
    raise TypeError(
        f"npgrad.save: cannot save {what}; expected Tensors, arrays, numbers, strings, "
        "None, and dicts, lists or tuples of them"
    )


def _tensor_marker(value, name, tensors):
    if name in tensors:
        raise ValueError(
            f"npgrad.save: two entries are both named {name!r} once nested keys are joined with dots; rename one"
        )
    if isinstance(value, np.ndarray):
        tensors[name] = value
        return {_TENSOR: name}
    tensors[name] = value._data
    return {_TENSOR: name, "class": type(value).__name__, "requires_grad": value.requires_grad}


def _json_key(key, name):
    if key is None or isinstance(key, (bool, int, float, str)):
        return key
    raise TypeError(
        f"npgrad.save: a key of {name or 'the object'!r} is a {type(key).__name__}; "
        "expected strings, numbers, bools or None as dict keys"
    )


def _join(prefix, key):
    return f"{prefix}.{key}" if prefix else str(key)


def _join_tree(value, tensors, depth):
    """The inverse of _split_tree: put the arrays back where the markers are."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"it nests more than {_MAX_DEPTH} levels deep")
    if isinstance(value, list):
        return [_join_tree(item, tensors, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    if _TENSOR in value:
        return _as_saved(tensors[value[_TENSOR]], value.get("class"), value.get("requires_grad", False))
    if _TUPLE in value:
        return tuple(_join_tree(item, tensors, depth + 1) for item in value[_TUPLE])
    if _DICT in value:
        return {key: _join_tree(item, tensors, depth + 1) for key, item in value[_DICT]}
    return {key: _join_tree(item, tensors, depth + 1) for key, item in value.items()}


def _as_saved(array, kind, requires_grad):
    """A loaded array as the kind of object that was saved: an array, a Tensor or a Parameter."""
    if kind is None:
        return array
    if kind == "Parameter":
        from .nn.parameter import Parameter

        return Parameter(array, requires_grad=bool(requires_grad))
    return Tensor(array, requires_grad=bool(requires_grad))


# -- the safetensors format ------------------------------------------------------------------
def _write_safetensors(file, tensors, metadata):
    arrays = {name: _little_endian(array, name) for name, array in tensors.items()}
    header, offset = {}, 0
    for name, array in arrays.items():
        header[name] = {
            "dtype": _CODE_OF[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    crc = 0
    for array in arrays.values():
        crc = zlib.crc32(array.data, crc)
    header = {"__metadata__": {**metadata, _CRC_KEY: str(crc)}, **header}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned, as the reference writer does
    file.write(len(text).to_bytes(8, "little"))
    file.write(text)
    for array in arrays.values():
        file.write(array.data)


def _little_endian(array, name):
    little = array.dtype.newbyteorder("<")
    if little not in _CODE_OF:
        raise TypeError(
            f"npgrad.save: {name!r} has dtype {array.dtype}, which safetensors cannot "
            f"store; expected one of {sorted(str(np.dtype(s)) for s in _DTYPES.values())}"
        )
    return np.asarray(array, dtype=little, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)


def _read_safetensors(f):
    """(OrderedDict name -> array in data order, metadata dict), every field checked before
    the data is read. `f` is a path or a binary file object."""
    if hasattr(f, "read"):
        return _read_safetensors_from(f, f)
    with open(f, "rb") as file:
        return _read_safetensors_from(file, f)


def _read_safetensors_from(file, path):
    header, data_size = _read_header(file, path)
    metadata = header.pop("__metadata__", {})
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise _corrupt(path, "its __metadata__ is not an object of strings")
    entries = sorted(
        ((name, _checked_entry(name, entry, path)) for name, entry in header.items()), key=lambda item: item[1][2]
    )
    _check_data_layout([entry[2:] for _, entry in entries], data_size, path)
    data = memoryview(file.read(data_size))
    if len(data) != data_size:
        raise _corrupt(path, f"header says the tensors take {data_size} bytes, file has {len(data)} after the header")
    if _CRC_KEY in metadata and str(zlib.crc32(data)) != metadata[_CRC_KEY]:
        raise _corrupt(
            path, "its data does not match the checksum written with it (the file was damaged or changed after saving)"
        )
    tensors = OrderedDict()
    for name, (dtype, shape, start, end) in entries:
        tensors[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    return tensors, metadata


def _read_header(file, path):
    """The parsed JSON header, and the number of data bytes after it (the rest of the file)."""
    start = file.tell()
    size = file.seek(0, os.SEEK_END) - start
    file.seek(start)
    if size < 8:
        raise _corrupt(path, f"the file has {size} bytes, fewer than the 8 that give the header's length")
    first = file.read(8)
    length = int.from_bytes(first, "little")
    if length > size - 8 and (first.startswith(b"PK\x03\x04") or first[:1] == b"\x80"):  # zip, pickle
        raise _corrupt(
            path,
            "it is a PyTorch pickle file (what torch.save writes), which npgrad never "
            "opens since loading one can run code; in PyTorch, save the state_dict with "
            "safetensors.torch.save_file(model.state_dict(), path) and load that",
        )
    if length > size - 8:
        raise _corrupt(path, f"header says {length} bytes, file has {size - 8} after the length field")
    if length > _MAX_HEADER:
        raise _corrupt(path, f"header says {length} bytes, more than the {_MAX_HEADER} a safetensors header may have")
    try:
        header = json.loads(file.read(length).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _corrupt(path, "its header is not valid JSON") from None
    except RecursionError:
        raise _corrupt(path, "its header nests too deeply to be a safetensors header") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "its header is not a JSON object")
    return header, size - 8 - length


def _checked_entry(name, entry, path):
    """(dtype, shape, start, end) of one header entry, after checking that they agree."""
    try:
        code, shape, (start, end) = entry["dtype"], tuple(entry["shape"]), entry["data_offsets"]
        valid = all(type(n) is int and n >= 0 for n in (*shape, start, end))
    except (TypeError, KeyError, ValueError):
        valid = False
    if not valid:
        raise _corrupt(path, f"the header entry of tensor {name!r} is malformed: {entry!r}")
    if code not in _DTYPES:
        raise TypeError(
            f"{path}: tensor {name!r} has dtype {code}, which npgrad cannot read "
            f"(NumPy has no such type); supported: {', '.join(_DTYPES)}"
        )
    dtype = np.dtype(_DTYPES[code])
    if math.prod(n for n in shape if n) * dtype.itemsize > np.iinfo(np.intp).max:  # NumPy's limit, even when empty
        raise _corrupt(path, f"tensor {name!r} has shape {list(shape)}, too large for any array")
    needed = math.prod(shape) * dtype.itemsize
    if end - start != needed:
        raise _corrupt(
            path,
            f"tensor {name!r} of shape {list(shape)} and dtype {code} needs "
            f"{needed} bytes, its offsets span {end - start}",
        )
    return dtype, shape, start, end


def _check_data_layout(spans, data_size, path):
    """The tensors must tile the data exactly: no gaps, no overlaps, nothing missing or extra."""
    position = 0
    for start, end in spans:
        if start != position:
            raise _corrupt(path, f"tensor data has a gap or overlap at byte {position} of the data")
        position = end
    if position > data_size:
        raise _corrupt(path, f"header says the tensors take {position} bytes, file has {data_size} after the header")
    if position < data_size:
        raise _corrupt(path, f"{data_size - position} unexpected bytes after the last tensor")


def _corrupt(f, reason):
    name = getattr(f, "name", "the file object") if hasattr(f, "read") else os.fspath(f)
    return CorruptCheckpointError(f"{name} is truncated or corrupt: {reason}")


def _write_atomically(path, write):
    """Write `path` through write(file) so that it is either the old file or the complete new
    one, never half of one: write a temporary file, force it to disk, rename it over `path`."""
    path = os.fspath(path)
    temporary = path + ".tmp"
    try:
        with open(temporary, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    if os.name == "posix":  # make the rename itself durable (Windows cannot open a directory)
        directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


# -- checkpoints -----------------------------------------------------------------------------
_RANDOM_PARTS = ("sampler", "batch_transform", "dataset", "datasets", "transform", "transforms", "generator")


def random_generators(*loaders: Any) -> list[np.random.Generator]:
    """The numpy Generators that data loaders draw from (their samplers', transforms' and
    datasets' own generators), each once, in a fixed order. A part built with generator=None
    draws from npgrad's global generator instead, which checkpoints save separately."""
    found: dict[int, np.random.Generator] = {}

    def visit(part):
        if isinstance(part, np.random.Generator):
            found.setdefault(id(part), part)
        elif isinstance(part, (list, tuple)):
            for item in part:
                visit(item)
        elif part is not None and not isinstance(part, (np.ndarray, Tensor)):
            for name in _RANDOM_PARTS:
                visit(getattr(part, name, None))

    for loader in loaders:
        visit(loader)
    return list(found.values())


def save_checkpoint(
    path: str | os.PathLike,
    model: Module,
    optimizer: Optimizer | None = None,
    scheduler: LRScheduler | None = None,
    *,
    epoch: int = 0,
    global_step: int = 0,
    loaders: Sequence[Any] = (),
    extra: dict[str, Any] | None = None,
) -> None:
    """Save everything needed to continue training exactly: the model's, optimizer's and
    scheduler's state, the epoch and step counters, npgrad's global random state and the state
    of every random generator the `loaders` draw from, plus `extra` (any JSON-like dict).
    Written atomically: a crash while saving leaves the previous checkpoint intact."""
    save(
        {
            "model": model.state_dict(),
            "optimizer": None if optimizer is None else optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "epoch": int(epoch),
            "global_step": int(global_step),
            "rng": random.get_rng_state(),
            "data_rng": [generator.bit_generator.state for generator in random_generators(*loaders)],
            "extra": extra,
        },
        path,
    )


def load_checkpoint(
    path: str | os.PathLike,
    model: Module,
    optimizer: Optimizer | None = None,
    scheduler: LRScheduler | None = None,
    *,
    loaders: Sequence[Any] = (),
) -> dict[str, Any]:
    """Restore what save_checkpoint wrote into the given objects, and npgrad's global random
    state and the loaders' generators. Returns the checkpoint dict (epoch, global_step, extra...)."""
    checkpoint = load(path)
    if not (isinstance(checkpoint, dict) and "model" in checkpoint and "rng" in checkpoint):
        raise ValueError(
            f"{os.fspath(path)} is not an npgrad checkpoint (it has no model and "
            "random state); for a plain state_dict use model.load_state_dict(npgrad.load(path))"
        )
    generators = random_generators(*loaders)
    if len(generators) != len(checkpoint["data_rng"]):
        raise ValueError(
            f"{os.fspath(path)}: the checkpoint holds the states of "
            f"{len(checkpoint['data_rng'])} data-loader random generators, the loaders "
            f"given draw from {len(generators)}; resume with loaders built like the "
            "saved run's (shuffle, generator, random transforms)"
        )
    model.load_state_dict(checkpoint["model"])
    for name, target in (("optimizer", optimizer), ("scheduler", scheduler)):
        if target is not None:
            if checkpoint[name] is None:
                raise ValueError(f"{os.fspath(path)}: the checkpoint has no {name} state to restore")
            target.load_state_dict(_restore_tuples(checkpoint[name], target.state_dict()))
    random.set_rng_state(checkpoint["rng"])
    for generator, state in zip(generators, checkpoint["data_rng"]):
        generator.bit_generator.state = state
    return checkpoint


def load_weights(path: str | os.PathLike, model: Module) -> Any:
    """Load only the model's weights from a checkpoint (or from a plain state_dict file),
    leaving random state and everything else alone; returns what the file holds."""
    saved = load(path)
    is_checkpoint = isinstance(saved, dict) and "model" in saved and "rng" in saved
    model.load_state_dict(saved["model"] if is_checkpoint else saved)
    return saved


def _restore_tuples(loaded, template):
    """Files keep tuples but not their class, and older files kept lists: turn them back into
    the tuples and namedtuples (such as a scheduler's phases) that `template`, the live
    object's own state, has in the same place."""
    if isinstance(template, (tuple, list)) and isinstance(loaded, (list, tuple)):
        items = [_restore_tuples(item, part) for item, part in zip(loaded, template)] + list(loaded[len(template) :])
        if isinstance(template, list):
            return items
        return type(template)(*items) if hasattr(template, "_fields") else tuple(items)
    if isinstance(template, Mapping) and isinstance(loaded, dict):
        return {key: _restore_tuples(item, template.get(key)) for key, item in loaded.items()}
    return loaded
