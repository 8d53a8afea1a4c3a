"""How tensors print: torch.set_printoptions' options, applied by Tensor.__repr__."""

from __future__ import annotations

from typing import Any

import numpy as np

_PRINT_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80),
}
_print_options = dict(_PRINT_PROFILES["default"], sci_mode=None)


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """How Tensor reprs print, as torch.set_printoptions: digits after the point, the element
    count above which the middle is summarized, items kept at each edge, the line width, a
    profile ("default", "short", "full") to start from, and sci_mode (None: NumPy chooses)."""
    if profile is not None:
        if profile not in _PRINT_PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PRINT_PROFILES)}, got {profile!r}")
        _print_options.update(_PRINT_PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    _print_options.update({name: v for name, v in given.items() if v is not None})
    _print_options["sci_mode"] = sci_mode


def array2string_options() -> dict[str, Any]:
    """Tensor.__repr__'s keyword arguments for np.array2string under the current options."""
    options = {k: _print_options[k] for k in ("precision", "edgeitems")}
    options["max_line_width"] = _print_options["linewidth"]
    options["threshold"] = int(min(_print_options["threshold"], np.iinfo(np.int64).max))
    precision, sci_mode = _print_options["precision"], _print_options["sci_mode"]
    if sci_mode:
        options["formatter"] = {"float_kind": lambda v: f"{v:.{precision}e}"}
    elif sci_mode is False:
        options["suppress_small"] = True
    return options
