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
  "npgrad.tree":  when the saved object is more than a flat dict of arrays (a checkpoint with
                  epoch numbers, RNG state, optimizer options, nested dicts), its structure as
                  JSON, each array replaced by {"__tensor__": its dotted name}.
Files are written atomically: to `path + ".tmp"`, flushed to disk, then renamed over `path`,
so a crash while saving never destroys the previous file.
"""
import contextlib
import json
import os
import zlib
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from . import random
from .tensor import Tensor

_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2", "I32": "<i4",
           "I64": "<i8", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
_CODE_OF = {np.dtype(spec): code for code, spec in _DTYPES.items()}
_TENSOR = "__tensor__"
_TREE_KEY, _CRC_KEY = "npgrad.tree", "npgrad.crc32"


class CorruptCheckpointError(ValueError):
    """A file that is not a complete, intact safetensors file (truncated, damaged, or not one)."""


# -- save / load -----------------------------------------------------------------------------
def save(obj, path):
    """Save `obj`, a dict of arrays or Tensors (a state_dict), to `path` as safetensors.

    The dict may also nest dicts and lists and hold numbers, strings, bools and None; the arrays
    are stored as tensors named by their dotted path ("optimizer.state.0.exp_avg"), the rest as
    JSON in the header. load(path) gives back an equal object, with NumPy arrays.
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"npgrad.save: expected a dict (e.g. a state_dict), got {type(obj).__name__}")
    tensors = {}
    tree = _split_tree(obj, "", tensors)
    metadata = {}
    if any(value != {_TENSOR: name} for name, value in tree.items()):  # not a flat dict of arrays
        metadata[_TREE_KEY] = json.dumps(tree, separators=(",", ":"))
    _write_atomically(path, lambda file: _write_safetensors(file, tensors, metadata))


def load(path):
    """What save() wrote to `path` (any safetensors file): a dict of NumPy arrays in file order,
    or the saved nested object. Raises CorruptCheckpointError for a truncated or damaged file."""
    tensors, metadata = _read_safetensors(path)
    if _TREE_KEY not in metadata:
        return tensors
    try:
        return _join_tree(json.loads(metadata[_TREE_KEY]), tensors)
    except (ValueError, KeyError, TypeError) as error:
        raise _corrupt(path, f"its structure ({_TREE_KEY}) does not parse or names a missing "
                             f"tensor: {error}") from None


def _split_tree(value, name, tensors):
    """`value` with every array replaced by {"__tensor__": name}; the arrays go into `tensors`
    under their dotted path."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        if name in tensors:
            raise ValueError(f"npgrad.save: two entries are both named {name!r} once nested keys "
                             "are joined with dots; rename one")
        tensors[name] = value
        return {_TENSOR: name}
    if isinstance(value, Mapping):
        return {str(key): _split_tree(item, _join(name, key), tensors) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split_tree(item, _join(name, i), tensors) for i, item in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"npgrad.save: cannot save {name or 'the object'!r} of type {type(value).__name__}; "
                    "expected arrays, Tensors, numbers, strings, None, and dicts or lists of them")


def _join(prefix, key):
    return f"{prefix}.{key}" if prefix else str(key)


def _join_tree(value, tensors):
    """The inverse of _split_tree: put the arrays back where the markers are."""
    if isinstance(value, dict):
        if set(value) == {_TENSOR}:
            return tensors[value[_TENSOR]]
        return {key: _join_tree(item, tensors) for key, item in value.items()}
    if isinstance(value, list):
        return [_join_tree(item, tensors) for item in value]
    return value


# -- the safetensors format ------------------------------------------------------------------
def _write_safetensors(file, tensors, metadata):
    arrays = {name: _little_endian(array, name) for name, array in tensors.items()}
    header, offset = {}, 0
    for name, array in arrays.items():
        header[name] = {"dtype": _CODE_OF[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
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
        raise TypeError(f"npgrad.save: {name!r} has dtype {array.dtype}, which safetensors cannot "
                        f"store; expected one of {sorted(str(np.dtype(s)) for s in _DTYPES.values())}")
    return np.asarray(array, dtype=little, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)


def _read_safetensors(path):
    """(OrderedDict name -> array in data order, metadata dict), every field checked."""
    with open(path, "rb") as file:
        content = file.read()
    header, data = _split_header(content, path)
    metadata = header.pop("__metadata__", {})
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise _corrupt(path, "its __metadata__ is not an object of strings")
    entries = sorted(((name, _checked_entry(name, entry, path)) for name, entry in header.items()),
                     key=lambda item: item[1][2])
    _check_data_layout([entry[2:] for _, entry in entries], len(data), path)
    if _CRC_KEY in metadata and str(zlib.crc32(data)) != metadata[_CRC_KEY]:
        raise _corrupt(path, "its data does not match the checksum written with it "
                             "(the file was damaged or changed after saving)")
    tensors = OrderedDict()
    for name, (dtype, shape, start, end) in entries:
        tensors[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    return tensors, metadata


def _split_header(content, path):
    """The parsed JSON header and a view of the data after it."""
    if len(content) < 8:
        raise _corrupt(path, f"the file has {len(content)} bytes, fewer than the 8 that give the header's length")
    length = int.from_bytes(content[:8], "little")
    if length > len(content) - 8:
        raise _corrupt(path, f"header says {length} bytes, file has {len(content) - 8} after the length field")
    try:
        header = json.loads(content[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _corrupt(path, "its header is not valid JSON") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "its header is not a JSON object")
    return header, memoryview(content)[8 + length:]


def _checked_entry(name, entry, path):
    """(dtype, shape, start, end) of one header entry, after checking that they agree."""
    try:
        code, shape, (start, end) = entry["dtype"], tuple(entry["shape"]), entry["data_offsets"]
        valid = all(isinstance(n, int) and n >= 0 for n in (*shape, start, end))
    except (TypeError, KeyError, ValueError):
        valid = False
    if not valid:
        raise _corrupt(path, f"the header entry of tensor {name!r} is malformed: {entry!r}")
    if code not in _DTYPES:
        raise TypeError(f"{path}: tensor {name!r} has dtype {code}, which npgrad cannot read "
                        f"(NumPy has no such type); supported: {', '.join(_DTYPES)}")
    dtype = np.dtype(_DTYPES[code])
    if end - start != int(np.prod(shape)) * dtype.itemsize:
        raise _corrupt(path, f"tensor {name!r} of shape {list(shape)} and dtype {code} needs "
                             f"{int(np.prod(shape)) * dtype.itemsize} bytes, its offsets span {end - start}")
    return dtype, shape, start, end


def _check_data_layout(spans, data_size, path):
    """The tensors must tile the data exactly: no gaps, no overlaps, nothing missing or extra."""
    position = 0
    for start, end in spans:
        if start != position:
            raise _corrupt(path, f"tensor data has a gap or overlap at byte {position} of the data")
        position = end
    if position > data_size:
        raise _corrupt(path, f"header says the tensors take {position} bytes, file has {data_size} "
                             "after the header")
    if position < data_size:
        raise _corrupt(path, f"{data_size - position} unexpected bytes after the last tensor")


def _corrupt(path, reason):
    return CorruptCheckpointError(f"{os.fspath(path)} is truncated or corrupt: {reason}")


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
_RANDOM_PARTS = ("sampler", "batch_transform", "dataset", "datasets", "transform", "transforms",
                 "generator")


def random_generators(*loaders):
    """The numpy Generators that data loaders draw from (their samplers', transforms' and
    datasets' own generators), each once, in a fixed order. A part built with generator=None
    draws from npgrad's global generator instead, which checkpoints save separately."""
    found = {}

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


def save_checkpoint(path, model, optimizer=None, scheduler=None, *, epoch=0, global_step=0,
                    loaders=(), extra=None):
    """Save everything needed to continue training exactly: the model's, optimizer's and
    scheduler's state, the epoch and step counters, npgrad's global random state and the state
    of every random generator the `loaders` draw from, plus `extra` (any JSON-like dict).
    Written atomically: a crash while saving leaves the previous checkpoint intact."""
    save({
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "epoch": int(epoch),
        "global_step": int(global_step),
        "rng": random.get_rng_state(),
        "data_rng": [generator.bit_generator.state for generator in random_generators(*loaders)],
        "extra": extra,
    }, path)


def load_checkpoint(path, model, optimizer=None, scheduler=None, *, loaders=()):
    """Restore what save_checkpoint wrote into the given objects, and npgrad's global random
    state and the loaders' generators. Returns the checkpoint dict (epoch, global_step, extra...)."""
    checkpoint = load(path)
    if not (isinstance(checkpoint, dict) and "model" in checkpoint and "rng" in checkpoint):
        raise ValueError(f"{os.fspath(path)} is not an npgrad checkpoint (it has no model and "
                         "random state); for a plain state_dict use model.load_state_dict(npgrad.load(path))")
    generators = random_generators(*loaders)
    if len(generators) != len(checkpoint["data_rng"]):
        raise ValueError(f"{os.fspath(path)}: the checkpoint holds the states of "
                         f"{len(checkpoint['data_rng'])} data-loader random generators, the loaders "
                         f"given draw from {len(generators)}; resume with loaders built like the "
                         "saved run's (shuffle, generator, random transforms)")
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


def load_weights(path, model):
    """Load only the model's weights from a checkpoint (or from a plain state_dict file),
    leaving random state and everything else alone; returns what the file holds."""
    saved = load(path)
    is_checkpoint = isinstance(saved, dict) and "model" in saved and "rng" in saved
    model.load_state_dict(saved["model"] if is_checkpoint else saved)
    return saved


def _restore_tuples(loaded, template):
    """JSON has no tuples: turn lists back into the tuples (and namedtuples, such as a
    scheduler's phases) that `template`, the live object's own state, has in the same place."""
    if isinstance(template, tuple) and isinstance(loaded, list):
        items = [_restore_tuples(item, part) for item, part in zip(loaded, template)] + loaded[len(template):]
        return type(template)(*items) if hasattr(template, "_fields") else tuple(items)
    if isinstance(template, list) and isinstance(loaded, list):
        return [_restore_tuples(item, part) for item, part in zip(loaded, template)] + loaded[len(template):]
    if isinstance(template, Mapping) and isinstance(loaded, dict):
        return {key: _restore_tuples(item, template.get(key)) for key, item in loaded.items()}
    return loaded
