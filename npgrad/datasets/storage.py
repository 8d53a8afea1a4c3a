"""Where data files live, how they are checked, and how a missing one is fetched.

The data root is the `root` argument, else the NPGRAD_DATA environment variable, else a user
cache folder (~/.cache/npgrad). A data set's files sit in a folder of their own under it,
e.g. <root>/mnist/train-images-idx3-ubyte.gz, the layout of the project's shared data folder.
Every file is checked against the SHA-256 of its contents (after gunzip for a .gz, so a copy
compressed differently passes too) before it is parsed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ENV_VAR = "NPGRAD_DATA"


class CorruptFileError(OSError):
    """A data file whose contents are not what they should be (wrong checksum, truncated)."""


@dataclass(frozen=True)
class DataFile:
    """A file `folder/name` under the data root; `sha256` is of its contents, `url` where to
    download it (None if it cannot be), `source` how to get it by hand."""

    folder: str
    name: str
    sha256: str
    url: str | None = None
    source: str = ""


def default_root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "npgrad"


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The `root` argument, else $NPGRAD_DATA, else the user cache folder."""
    return Path(root or os.environ.get(ENV_VAR) or default_root()).expanduser()


def locate(
    file: DataFile,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    bundled: str | os.PathLike[str] | None = None,
) -> Path:
    """The path of `file`: in the data root (as named, or uncompressed without its .gz), else
    in the `bundled` folder that ships with npgrad, else freshly downloaded into the data root
    when `download` is true; if all fail, a FileNotFoundError saying what to do."""
    folder = data_root(root) / file.folder
    names = [file.name, file.name[:-3]] if file.name.endswith(".gz") else [file.name]
    candidates = [folder / name for name in names]
    if bundled is not None:
        candidates.append(Path(bundled) / file.name)
    for path in candidates:
        if path.is_file():
            return path
    if not download:
        reason = "it was not downloaded (download=False)"
    elif file.url is None:
        reason = "it cannot be downloaded automatically"
    else:
        try:
            return _download(file.url, folder / file.name, file.sha256)
        except OSError as error:  # no network, HTTP errors, a bad download
            reason = f"downloading {file.url} failed: {error}"
    where = f"from {file.url}" if file.url else file.source
    raise FileNotFoundError(
        f"{file.folder}/{file.name} is missing: looked in {folder} (the data root is the `root` "
        f"argument, else ${ENV_VAR}, else {default_root()}) and {reason}. Get it {where} and put "
        f"it at {folder / file.name}, or point ${ENV_VAR} at a folder that has {file.folder}/{file.name}."
    )


def _download(url: str, path: Path, sha256: str) -> Path:
    partial = path.with_name(f"{path.stem}.part{path.suffix}")  # keeps .gz: read_verified gunzips it
    print(f"npgrad: downloading {url} to {path}", file=sys.stderr)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as out:
                shutil.copyfileobj(response, out)
        read_verified(partial, sha256)
        os.replace(partial, path)  # only a complete, verified file gets the real name
    finally:
        partial.unlink(missing_ok=True)
    return path


def read_verified(path: str | os.PathLike[str], sha256: str) -> bytes:
    """The contents of the file at `path` (decompressed if it is a .gz), after checking that
    their SHA-256 is `sha256`."""
    raw = Path(path).read_bytes()
    contents = _gunzip(path, raw) if str(path).endswith(".gz") else raw
    digest = hashlib.sha256(contents).hexdigest()
    if digest != sha256:
        raise CorruptFileError(
            f"{path} is corrupt or truncated (sha256 of its contents {digest}, "
            f"expected {sha256}); delete it and download again"
        )
    return contents


def _gunzip(path, raw):
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise CorruptFileError(
            f"{path} is corrupt or truncated (sha256 {hashlib.sha256(raw).hexdigest()}, "
            f"cannot decompress: {error}); delete it and download again"
        ) from None


_parsed: dict[tuple[str, int, int, Callable[[bytes], Any]], Any] = {}


def load(path: str | os.PathLike[str], sha256: str, parse: Callable[[bytes], Any]) -> Any:
    """parse(contents) of the verified file at `path`, kept in memory (as read-only arrays)
    so that each file is read and checked once per process, until it changes on disk."""
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, parse)
    if key not in _parsed:
        try:
            result = parse(read_verified(path, sha256))
        except ValueError as error:  # a parser's complaint about the format
            raise CorruptFileError(f"{path}: {error}") from error
        for array in result if isinstance(result, tuple) else (result,):
            array.setflags(write=False)
        _parsed[key] = result
    return _parsed[key]


def clear_cache() -> None:
    """Forget the data sets held in memory."""
    _parsed.clear()


def read_idx(contents: bytes) -> np.ndarray:
    """The array in an IDX file (the MNIST format): two zero bytes, a type code, the number of
    dimensions, each dimension as a big-endian uint32, then the values."""
    if len(contents) < 4 or contents[:2] != b"\0\0" or contents[2] not in _IDX_TYPES:
        raise ValueError(f"not an IDX file (magic number 0x{contents[:4].hex()})")
    ndim = contents[3]
    header = 4 + 4 * ndim
    if len(contents) < header:
        raise ValueError(f"IDX header of {ndim} dimensions is cut short")
    shape = tuple(int(n) for n in np.frombuffer(contents, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[contents[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(contents) != expected:
        raise ValueError(f"IDX header says shape {shape}, {expected} bytes, but there are {len(contents)}")
    return np.frombuffer(contents, dtype, offset=header).reshape(shape)


_IDX_TYPES: dict[int, Any] = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
