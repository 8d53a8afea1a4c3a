"""Layers on feature maps beside conv and pooling: Dropout1d and Dropout2d (drop whole channels),
ConstantPad2d and ZeroPad2d, and Upsample."""

from __future__ import annotations

from ..functional.shape import pad
from ..functional.spatial import dropout1d, dropout2d, interpolate
from ..tensor import Tensor
from ..types import _size_any_t
from .dropout import Dropout
from .module import Module


class Dropout2d(Dropout):
    """In training, zero each channel of (N, C, H, W) input with probability p and scale the
    kept ones by 1 / (1 - p); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training)


class Dropout1d(Dropout):
    """In training, zero each channel of (N, C, L) or (C, L) input with probability p and scale
    the kept ones by 1 / (1 - p); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout1d(input, self.p, self.training)


class ConstantPad2d(Module):
    """Pad the last two dims with `value`: padding is an int (every side) or (left, right, top, bottom)."""

    def __init__(self, padding: int | tuple[int, int, int, int], value: float) -> None:
        super().__init__()
        self.padding = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 4:
            raise ValueError(f"{type(self).__name__}: padding must be an int or 4 ints, got {padding!r}")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, value=self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: padding is an int or (left, right, top, bottom)."""

    def __init__(self, padding: int | tuple[int, int, int, int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class Upsample(Module):
    """Resize (N, C, L) or (N, C, H, W) maps to `size` or by `scale_factor` (F.interpolate's modes)."""

    def __init__(
        self,
        size: _size_any_t | None = None,
        scale_factor: float | tuple[float, ...] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(
            input, self.size, self.scale_factor, self.mode, self.align_corners, self.recompute_scale_factor
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"
