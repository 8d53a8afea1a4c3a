"""Devices, as PyTorch names them. npgrad computes on the CPU only: `device("cpu")` is
accepted everywhere PyTorch takes a device, and any other device is refused with a clear error
the moment a tensor or module would move there."""

from __future__ import annotations

from typing import Any


class device:
    """A device name: `device("cpu")`, `device("cuda", 0)` or `device("cuda:0")`."""

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        type = str(type)
        if ":" in type:
            type, number = type.split(":", 1)
            index = int(number)
        self.type, self.index = type, index

    def __eq__(self, other: object) -> bool:
        other = device(other) if isinstance(other, str) else other
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")


def check_device(where: device | str | None, what: str = "tensor") -> device:
    """`where` (None, a string or a device) as the CPU device, or a clear error."""
    if where is None:
        return CPU
    if not isinstance(where, (str, device)):
        raise TypeError(f"expected a device such as 'cpu', got {type(where).__name__}")
    where = device(where)
    if where.type != "cpu":
        raise RuntimeError(
            f"npgrad runs on the CPU only: cannot put a {what} on device '{where}' "
            f"(npgrad.cuda.is_available() is False); use 'cpu'"
        )
    return CPU


def dtype_of_to_call(args: tuple[Any, ...], dtype: Any, device: device | str | None, what: str = "tensor") -> Any:
    """The dtype asked of .to(*args, dtype=, device=) in PyTorch's forms (to(dtype),
    to(device), to(device, dtype), to(other_tensor)), None if none; the device must be the CPU."""
    for arg in args:
        if hasattr(arg, "_data"):  # another tensor: its dtype
            dtype = arg.dtype
        elif is_device(arg):
            device = arg
        else:
            dtype = arg
    check_device(device, what)
    return dtype


def is_device(value: object) -> bool:
    """True when `value` names a device rather than a dtype (for Tensor.to / Module.to)."""
    if isinstance(value, device):
        return True
    return isinstance(value, str) and value.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta")
