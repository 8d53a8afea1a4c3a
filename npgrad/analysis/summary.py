"""summary(model, input_size): a table of a model's layers, output shapes, parameters and MACs.

The table is traced, not guessed: summary runs one real forward pass (in eval mode, under
no_grad) with a forward pre-hook and a forward hook on every module, so it shows exactly the
modules that ran, in the order they ran, with the shapes they produced.

Conventions, the same as torchinfo's and as the published "FLOPs" of ResNet or VGG:

- MACs are multiply-accumulates of the layers' weights, one per weight use:
    Linear                   output elements * in_features
    Conv1d/2d/3d             output elements * (in_channels / groups) * prod(kernel_size)
    ConvTranspose1d/2d/3d    input elements * (out_channels / groups) * prod(kernel_size)
    RNN / GRU / LSTM         gates * (input + hidden) * hidden per step, per layer and direction
    MultiheadAttention       its input projections (query, key and value elements * embed_dim)
                             + 2 * N * L * S * embed_dim for the scores q k^T and for weights @ v
                             (its out_proj is a Linear and counts as one)
    CausalSelfAttention      (GPT's) 2 * B * T * S * n_embd for q k^T and weights @ v, S the
                             keys seen (T, or more with a key/value cache); its projections are
                             Linears. The masked half of a causal score matrix is computed, so counted
  Bias additions, activations, normalisation (BatchNorm, LayerNorm), pooling, dropout and
  embedding look-ups count 0. A module of any other class counts 0 for its own work (its
  submodules still count); add a rule to MAC_RULES to count it.
- Parameters are counted once, however many modules share them or however often a module
  runs; a module that runs again shows "(shared)" instead of its parameters.
- Parameter memory is the bytes of the parameters' arrays; "MB" means 2**20 bytes, as Keras
  prints it. Buffers (BatchNorm's running statistics) are not parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd import no_grad
from ..nn.module import Module
from ..tensor import Tensor
from ..types import ArrayLike, _dtype, _int_or_size, _size

MB = 2**20


@dataclass
class LayerRow:
    """One call of one module, at depth 1 for the model's children, 2 for theirs, ...
    params and macs include those of the calls it made to its submodules."""

    name: str
    type: str
    depth: int
    output_shape: object = None  # a tuple, or a list of them for several outputs
    params: int = 0
    macs: int = 0
    shared: bool = False  # a module running again (its parameters counted on its first row)


@dataclass(repr=False)
class ModelSummary:
    """What summary() found; str() gives the table (print(result.table(max_depth=1)) for less)."""

    total_params: int
    trainable_params: int
    non_trainable_params: int
    param_bytes: int
    total_macs: int
    rows: list[LayerRow] = field(default_factory=list)

    def table(
        self,
        max_depth: int | None = None,
        layer_label: Callable[[LayerRow], str] | None = None,
        shape_label: Callable[[Any], str] | None = None,
    ) -> str:
        """The printed table; rows deeper than max_depth are folded into their parents.
        layer_label(row) and shape_label(shape) change how a layer and a shape are written."""
        layer_label = layer_label or _indented_name
        shape_label = shape_label or _shape_text
        rows = [row for row in self.rows if max_depth is None or row.depth <= max_depth]
        body = [
            (
                layer_label(row),
                shape_label(row.output_shape),
                "(shared)" if row.shared else f"{row.params:,}",
                f"{row.macs:,}",
            )
            for row in rows
        ]
        return format_table(("Layer (type)", "Output Shape", "Param #", "MACs"), body, self.footer())

    def footer(self) -> list[str]:
        return [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            f"Params size (MB): {self.param_bytes / MB:.2f}",
            f"Total MACs: {self.total_macs:,} ({_si(self.total_macs)})",
        ]

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:  # short, so that a notebook does not echo the whole table again
        return (
            f"ModelSummary(total_params={self.total_params:,}, trainable_params={self.trainable_params:,}, "
            f"total_macs={self.total_macs:,}, {len(self.rows)} rows)"
        )


def summary(
    model: Module,
    input_size: _int_or_size | list[_size] | None = None,
    *,
    batch_size: int = 1,
    dtype: _dtype | None = None,
    input_data: Tensor | ArrayLike | Sequence[Tensor | ArrayLike] | None = None,
    depth: int | None = None,
    print_table: bool = True,
) -> ModelSummary:
    """Trace `model` with one forward pass and return (and print) a ModelSummary.

    input_size: the shape of one sample, without the batch dim, e.g. (784,) or (1, 28, 28);
        a list of shapes for a model with several inputs. The inputs are random normal
        (zeros for an integer dtype, which suits embeddings), batch_size rows of them.
    input_data: a Tensor or array (or a tuple of them) to use instead.
    dtype: the dtype of generated inputs (default: npgrad's default dtype, float32).
    depth: how deep to show nested modules: 1 shows the model's children only, None all;
        a folded module's parameters and MACs are in its parent's row, and the totals are
        always complete.
    """
    inputs = _make_inputs(input_size, batch_size, dtype, input_data)
    rows = _trace(model, inputs)
    total, trainable, nbytes = _count_parameters(model)
    total_macs = rows[0].macs  # the model's own call holds every call inside it
    result = ModelSummary(
        total_params=total,
        trainable_params=trainable,
        non_trainable_params=total - trainable,
        param_bytes=nbytes,
        total_macs=total_macs,
        rows=_shown(rows),
    )
    if print_table:
        print(result.table(depth))
    return result


# -- inputs --------------------------------------------------------------------------------
def _make_inputs(input_size, batch_size, dtype, input_data):
    if (input_size is None) == (input_data is None):
        raise ValueError("summary: give exactly one of input_size (the shape of one sample) and input_data")
    if input_data is not None:
        data = input_data if isinstance(input_data, (tuple, list)) else (input_data,)
        return tuple(x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in data)
    dtype = np.dtype(dtypes.get_default_dtype() if dtype is None else dtype)
    sizes = input_size if _is_list_of_shapes(input_size) else [input_size]
    return tuple(_random_input((batch_size, *_shape(size)), dtype) for size in sizes)


def _is_list_of_shapes(input_size):
    return isinstance(input_size, list) and all(isinstance(size, (tuple, list)) for size in input_size)


def _shape(size):
    return (size,) if isinstance(size, (int, np.integer)) else tuple(size)


def _random_input(shape, dtype):
    """Zeros for integers; else normal values from a generator of its own (a summary never moves
    npgrad's global random state, so it cannot change a seeded run that follows it)."""
    if dtype.kind != "f":
        return Tensor(np.zeros(shape, dtype))
    return Tensor(np.random.default_rng(0).standard_normal(shape).astype(dtype))


# -- tracing -------------------------------------------------------------------------------
def _trace(model, inputs):
    """Run model(*inputs) in eval mode under no_grad with hooks everywhere; return every call
    as a LayerRow, in the order the calls began (a module before the modules it calls)."""
    tracer = _Tracer()
    handles = []
    modes = [(module, module.training) for module in model.modules()]
    try:
        for name, module in model.named_modules():
            handles.append(module.register_forward_pre_hook(tracer.pre_hook(name)))
            handles.append(module.register_forward_hook(tracer.hook))
        model.eval()
        with no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training
    return tracer.rows


class _Tracer:
    def __init__(self):
        self.rows, self.open_calls = [], []
        self.seen_modules, self.seen_params = set(), set()

    def pre_hook(self, name):
        def hook(module, args):
            row = LayerRow(
                name,
                type(module).__name__,
                depth=len(self.open_calls),
                params=self._new_params(module),
                shared=id(module) in self.seen_modules,
            )
            self.seen_modules.add(id(module))
            self.rows.append(row)
            self.open_calls.append(row)

        return hook

    def _new_params(self, module):
        """The size of the parameters this module holds itself that no earlier call showed."""
        count = 0
        for param in module._parameters.values():
            if param is not None and id(param) not in self.seen_params:
                self.seen_params.add(id(param))
                count += param._data.size
        return count

    def hook(self, module, args, output):
        row = self.open_calls.pop()
        row.output_shape = _output_shape(output)
        row.macs += count_macs(module, args, output)
        if self.open_calls:  # a module's totals include those of the modules it called
            self.open_calls[-1].params += row.params
            self.open_calls[-1].macs += row.macs


def _output_shape(output):
    if isinstance(output, Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return [_output_shape(item) for item in output]
    return None


def _shown(rows):
    """Every row but the model's own (the totals below the table are its numbers), unless the
    model is a single layer."""
    return rows if len(rows) == 1 else rows[1:]


def _count_parameters(model):
    params = list(model.parameters())  # each shared parameter once
    total = sum(p._data.size for p in params)
    trainable = sum(p._data.size for p in params if p.requires_grad)
    return total, trainable, sum(p._data.nbytes for p in params)


# -- multiply-accumulates ------------------------------------------------------------------
def count_macs(module: Module, args: tuple[Any, ...], output: Any) -> int:
    """The MACs of this module's own work in one call (0 when no rule names its class); a rule
    takes (module, its positional arguments, its output)."""
    rule = MAC_RULES.get(type(module).__name__)
    return int(rule(module, args, output)) if rule else 0


def _linear_macs(module, args, output):
    return output._data.size * module.in_features


def _conv_macs(module, args, output):
    return output._data.size * module.in_channels // module.groups * math.prod(_kernel(module))


def _conv_transpose_macs(module, args, output):
    return args[0]._data.size * module.out_channels // module.groups * math.prod(_kernel(module))


def _kernel(module):
    size = module.kernel_size
    return size if isinstance(size, tuple) else (size,)


def _recurrent_macs(gates):
    def rule(module, args, output):
        directions = 2 if module.bidirectional else 1
        steps_times_batch = args[0]._data.size // module.input_size
        layer_inputs = [module.input_size] + [module.hidden_size * directions] * (module.num_layers - 1)
        per_step = sum(gates * (n_in + module.hidden_size) * module.hidden_size for n_in in layer_inputs)
        return steps_times_batch * per_step * directions

    return rule


def _multihead_attention_macs(module, args, output):
    """Input projections, then scores and weighted sum over (N, L, S): query (L, N, E), (N, L, E)
    with batch_first, or unbatched (L, E); key likewise."""
    query, key = args[0], args[1]
    embed = module.embed_dim
    source_length = key.shape[1 if module.batch_first and key.ndim == 3 else 0]
    projections = (query._data.size + 2 * key._data.size) * embed
    return projections + 2 * query._data.size * source_length


def _causal_self_attention_macs(module, args, output):
    x, cache = args[0], args[1] if len(args) > 1 else None
    batch, length, channels = x.shape
    keys = cache["k"].shape[2] if cache else length  # the cache already holds this call's keys
    return 2 * batch * length * keys * channels


MAC_RULES = {
    "Linear": _linear_macs,
    **{f"Conv{d}d": _conv_macs for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": _conv_transpose_macs for d in (1, 2, 3)},
    "RNN": _recurrent_macs(1),
    "GRU": _recurrent_macs(3),
    "LSTM": _recurrent_macs(4),
    "MultiheadAttention": _multihead_attention_macs,
    "CausalSelfAttention": _causal_self_attention_macs,
}


# -- text ----------------------------------------------------------------------------------
def format_table(headers: Sequence[object], rows: Sequence[Sequence[object]], footer_lines: Sequence[str]) -> str:
    """A plain-text table: a rule, the headers, a rule, the rows, a rule, then the footer lines."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    rule = "=" * (sum(widths) + 3 * (len(widths) - 1))

    def line(cells):
        first, *rest = cells
        return "   ".join([str(first).ljust(widths[0])] + [str(c).rjust(w) for c, w in zip(rest, widths[1:])])

    return "\n".join([rule, line(headers), rule, *map(line, rows), rule, *footer_lines, rule])


def _indented_name(row):
    return "  " * max(row.depth - 1, 0) + (f"{row.name} ({row.type})" if row.name else row.type)


def _shape_text(shape):
    if shape is None:
        return "--"
    if isinstance(shape, list):
        return ", ".join(map(_shape_text, shape))
    return str(list(shape))


def _si(count):
    """1,464,320 -> '1.46 M'."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= size:
            return f"{count / size:.2f} {unit}"
    return str(count)
