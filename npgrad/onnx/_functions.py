"""ONNX nodes for npgrad's Functions: one converter per Function class.

A converter takes the graph and the recorded Call and returns the value name of each of the
call's outputs (one name, or a list). Its options are the ones the Function was applied with:
the geometry of a convolution is its Window, a reshape's target its output shape, and so on.
"""

import math

import numpy as np
from onnx import helper

from ..functional import activation as act
from ..functional import attention, conv, elementwise as ew, embedding, linalg, normalization, pooling, reduction
from ..functional import shape, spatial
from ..nn.hooks import _TapFunction

CONVERTERS = {}
INT64_MAX = np.iinfo(np.int64).max


def converts(*functions, batch_dependent=()):
    """Register a converter for these Function classes. batch_dependent: options whose values
    may change with the batch size (the converter reads the output shapes of both passes)."""

    def register(converter):
        converter.batch_dependent = frozenset(batch_dependent)
        for function in functions:
            CONVERTERS[function] = converter
        return converter

    return register


def _input(graph, call, i=0):
    """The value name of the call's input i."""
    return graph.input(call.inputs[i])


def _scalar(graph, value, like):
    """A 0-d constant of the dtype of tensor `like`."""
    return graph.const(np.asarray(value, like.dtype))


def _same_op(onnx_op, **attributes):
    """A converter for an elementwise Function that is the ONNX op `onnx_op` on its inputs."""

    def convert(graph, call):
        options = {name: call.options[option] for name, option in attributes.items()}
        return graph.node(onnx_op, [graph.input(x) for x in call.inputs], **options)

    return convert


ONE_NODE = {  # Functions that are a single ONNX op on the same inputs
    ew.AddFunction: "Add",
    ew.SubFunction: "Sub",
    ew.MulFunction: "Mul",
    ew.DivFunction: "Div",
    ew.PowFunction: "Pow",
    ew.NegFunction: "Neg",
    ew.ExpFunction: "Exp",
    ew.LogFunction: "Log",
    ew.SqrtFunction: "Sqrt",
    ew.AbsFunction: "Abs",
    ew.SinFunction: "Sin",
    ew.CosFunction: "Cos",
    ew.MaximumFunction: "Max",
    ew.MinimumFunction: "Min",
    ew.WhereFunction: "Where",
    act.ReLUFunction: "Relu",
    act.SigmoidFunction: "Sigmoid",
    act.TanhFunction: "Tanh",
    linalg.MatMulFunction: "MatMul",
}
for _function, _onnx_op in ONE_NODE.items():
    converts(_function)(_same_op(_onnx_op))
converts(_TapFunction)(lambda graph, call: [graph.input(x) for x in call.inputs])  # a backward hook's identity
converts(act.LeakyReLUFunction)(_same_op("LeakyRelu", alpha="negative_slope"))
converts(act.ELUFunction)(_same_op("Elu", alpha="alpha"))
converts(act.SoftmaxFunction)(_same_op("Softmax", axis="axis"))
converts(act.LogSoftmaxFunction)(_same_op("LogSoftmax", axis="axis"))


# --------------------------------------------------------------------------- elementwise
@converts(ew.PowScalarFunction)
def _pow_scalar(graph, call):
    return graph.node("Pow", [_input(graph, call), _scalar(graph, call.options["exponent"], call.outputs[0])])


@converts(ew.ClampFunction)
def _clamp(graph, call):
    bounds = [call.options[b] for b in ("min", "max")]
    return graph.node(
        "Clip", [_input(graph, call)] + ["" if b is None else _scalar(graph, b, call.outputs[0]) for b in bounds]
    )


@converts(ew.CastFunction)
def _cast(graph, call):
    return graph.node("Cast", [_input(graph, call)], to=helper.np_dtype_to_tensor_dtype(call.outputs[0].dtype))


# --------------------------------------------------------------------------- activations
@converts(act.GELUFunction)
def _gelu(graph, call):
    x = _input(graph, call)
    if graph.opset >= 20:
        return graph.node("Gelu", [x])
    # x Phi(x) = x (1 + erf(x / sqrt 2)) / 2
    erf = graph.node("Erf", [graph.node("Mul", [x, _scalar(graph, 1 / math.sqrt(2), call.outputs[0])])])
    one_plus = graph.node("Add", [erf, _scalar(graph, 1, call.outputs[0])])
    return graph.node("Mul", [graph.node("Mul", [x, one_plus]), _scalar(graph, 0.5, call.outputs[0])])


@converts(act.GELUTanhFunction)
def _gelu_tanh(graph, call):
    x, out = _input(graph, call), call.outputs[0]
    if graph.opset >= 20:
        return graph.node("Gelu", [x], approximate="tanh")
    # x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2
    cube = graph.node("Mul", [graph.node("Mul", [x, x]), x])
    inner = graph.node("Add", [x, graph.node("Mul", [cube, _scalar(graph, act._GELU_TANH_CUBIC, out)])])
    tanh = graph.node("Tanh", [graph.node("Mul", [inner, _scalar(graph, act._SQRT_2_OVER_PI, out)])])
    one_plus = graph.node("Add", [tanh, _scalar(graph, 1, out)])
    return graph.node("Mul", [graph.node("Mul", [x, one_plus]), _scalar(graph, 0.5, out)])


@converts(act.SiLUFunction)
def _silu(graph, call):
    x = _input(graph, call)
    return graph.node("Mul", [x, graph.node("Sigmoid", [x])])


@converts(act.SoftplusFunction)
def _softplus(graph, call):
    # log(1 + e^(beta x)) / beta, or x where beta x > threshold
    x, out, beta = _input(graph, call), call.outputs[0], call.options["beta"]
    scaled = graph.node("Mul", [x, _scalar(graph, beta, out)])
    smooth = graph.node("Div", [graph.node("Softplus", [scaled]), _scalar(graph, beta, out)])
    linear = graph.node("Greater", [scaled, _scalar(graph, call.options["threshold"], out)])
    return graph.node("Where", [linear, x, smooth])


# --------------------------------------------------------------------------- layers
@converts(linalg.LinearFunction)
def _linear(graph, call):
    x, weight = _input(graph, call), _input(graph, call, 1)
    bias = _input(graph, call, 2)  # "" when the layer has none
    if call.inputs[0].ndim == 2:  # y = x W^T + b in one node
        return graph.node("Gemm", [x, weight, bias] if bias else [x, weight], transB=1)
    y = graph.node("MatMul", [x, graph.node("Transpose", [weight], perm=[1, 0])])
    return graph.node("Add", [y, bias]) if bias else y


def _window_attributes(window, dilation=True):
    attributes = dict(
        kernel_shape=list(window.kernel), strides=list(window.stride), pads=list(window.pad_before + window.pad_after)
    )
    if dilation:
        attributes["dilations"] = list(window.dilation)
    return attributes


@converts(conv.ConvolutionFunction)
def _convolution(graph, call):
    return graph.node(
        "Conv",
        [graph.input(x) for x in call.inputs],
        group=call.options["groups"],
        **_window_attributes(call.options["window"]),
    )


@converts(conv.TransposedConvolutionFunction)
def _transposed_convolution(graph, call):
    window = call.options["window"]  # that of the convolution it is the adjoint of, on the output plane
    # output size = (n - 1) s - pad_before - pad_after + d (k - 1) + 1 + output_padding
    output_padding = [
        size - ((n - 1) * s - b - a + d * (k - 1) + 1)
        for size, n, s, b, a, d, k in zip(
            window.size, window.out, window.stride, window.pad_before, window.pad_after, window.dilation, window.kernel
        )
    ]
    return graph.node(
        "ConvTranspose",
        [graph.input(x) for x in call.inputs],
        group=call.options["groups"],
        output_padding=output_padding,
        **_window_attributes(window),
    )


@converts(pooling.MaxPoolFunction)
def _max_pool(graph, call):
    return graph.node("MaxPool", [_input(graph, call)], **_window_attributes(call.options["window"]))


@converts(pooling.AvgPoolFunction)
def _avg_pool(graph, call):
    # AveragePool counting the padding divides every window sum by kh*kw; then rescale by
    # kh*kw / divisor where npgrad's divisor (window sizes, count_include_pad) differs
    window, divisor = call.options["window"], call.options["divisor"]
    y = graph.node(
        "AveragePool", [_input(graph, call)], count_include_pad=1, **_window_attributes(window, dilation=False)
    )
    area = math.prod(window.kernel)
    if np.all(divisor == area):
        return y
    return graph.node("Mul", [y, graph.const((area / divisor).astype(call.outputs[0].dtype))])


@converts(pooling.PlaneMapFunction)
def _plane_map(graph, call):
    rows = graph.node("MatMul", [graph.const(call.options["rows"]), _input(graph, call)])  # R x
    return graph.node("MatMul", [rows, graph.const(call.options["cols"].T)])  # (R x) C^T


@converts(normalization.BatchNormFunction)
def _batch_norm(graph, call):
    if call.options["training"]:
        raise NotImplementedError(
            f"npgrad.onnx.export: {call.where()} normalises with batch statistics "
            f"(training=True); only evaluation-mode batch norm can be exported"
        )
    x, weight, bias = call.inputs
    channels = x.shape[1]
    scale = graph.input(weight) if weight is not None else graph.const(np.ones(channels, x.dtype))
    shift = graph.input(bias) if bias is not None else graph.const(np.zeros(channels, x.dtype))
    return graph.node(
        "BatchNormalization",
        [
            graph.input(x),
            scale,
            shift,
            graph.const(call.options["running_mean"]),
            graph.const(call.options["running_var"]),
        ],
        epsilon=call.options["eps"],
    )


@converts(normalization.LayerNormFunction)
def _layer_norm(graph, call):
    x, weight, bias = call.inputs
    normalized = x.shape[x.ndim - call.options["dims"] :]
    scale = graph.input(weight) if weight is not None else graph.const(np.ones(normalized, x.dtype))
    return graph.node(
        "LayerNormalization",
        [graph.input(x), scale, graph.input(bias)],
        axis=-call.options["dims"],
        epsilon=call.options["eps"],
    )


@converts(attention.ScaledDotProductAttentionFunction)
def _attention(graph, call):
    # probabilities P = softmax(q k^T * scale + mask); out = P v
    q, k, v, mask = call.inputs
    if call.options["dropout_p"] > 0:
        raise NotImplementedError(
            f"npgrad.onnx.export: {call.where()} drops attention weights (dropout_p > 0); "
            f"only evaluation-mode attention can be exported"
        )
    key_rows = graph.node("Transpose", [graph.input(k)], perm=list(range(k.ndim - 2)) + [k.ndim - 1, k.ndim - 2])
    scores = graph.node(
        "Mul", [graph.node("MatMul", [graph.input(q), key_rows]), _scalar(graph, call.options["scale"], q)]
    )
    if mask is not None:
        scores = graph.node("Add", [scores, graph.input(mask)])
    probs = graph.node("Softmax", [scores], axis=-1)
    if mask is not None and _may_hide_every_key(graph, mask):  # then that query gets 0, not softmax's NaN
        row_max = _reduce(graph, "ReduceMax", scores, -1, True)
        attends = graph.node("Not", [graph.node("IsInf", [row_max], detect_positive=0)])
        probs = graph.node("Where", [attends, probs, _scalar(graph, 0, q)])
    out = graph.node("MatMul", [probs, graph.input(v)])
    return [out, probs] if call.options["return_weights"] else out


def _may_hide_every_key(graph, mask):
    """Whether an additive attention mask may be -inf along a whole row (always, if it is computed)."""
    kind, item = graph.symbols.resolve(mask)
    return kind == "value" or bool(np.isneginf(item).all(axis=-1).any())


@converts(spatial.NearestResizeFunction)
def _nearest_resize(graph, call):
    # each output pixel copies a source pixel: one Gather per resized axis
    value, sources = _input(graph, call), call.options["sources"]
    for axis, source in enumerate(sources, start=call.inputs[0].ndim - len(sources)):
        value = graph.node("Gather", [value, graph.const(np.asarray(source, np.int64))], axis=axis)
    return value


@converts(embedding.EmbeddingFunction)
def _embedding(graph, call):
    return graph.node("Gather", [_input(graph, call), _input(graph, call, 1)], axis=0)


# --------------------------------------------------------------------------- shapes
@converts(shape.ReshapeFunction, batch_dependent=("shape",))
def _reshape(graph, call):
    target = [-1 if varies else n for n, varies in zip(call.outputs[0].shape, graph.varying(call))]
    if target.count(-1) > 1:
        raise NotImplementedError(
            f"npgrad.onnx.export: {call.where()} reshapes to {call.outputs[0].shape}, "
            f"where more than one dim depends on the batch size"
        )
    return graph.node("Reshape", [_input(graph, call), graph.ints(target)])


@converts(shape.ExpandFunction, batch_dependent=("shape",))
def _expand(graph, call):
    x, out = call.inputs[0], call.outputs[0]
    lead = out.ndim - x.ndim
    target = list(out.shape)
    for axis, varies in enumerate(graph.varying(call)):
        if varies:  # 1 keeps x's own (batch-sized) dim under ONNX's two-way broadcasting
            if axis < lead or x.shape[axis - lead] == 1:
                raise NotImplementedError(f"npgrad.onnx.export: {call.where()} expands a dim to the batch size")
            target[axis] = 1
    return graph.node("Expand", [graph.input(x), graph.ints(target)])


@converts(shape.PermuteFunction)
def _permute(graph, call):
    return graph.node("Transpose", [_input(graph, call)], perm=list(call.options["dims"]))


@converts(shape.CatFunction)
def _cat(graph, call):
    return graph.node("Concat", [graph.input(x) for x in call.inputs], axis=call.options["axis"])


@converts(shape.StackFunction)
def _stack(graph, call):
    axis = graph.ints([call.options["axis"]])
    return graph.node(
        "Concat", [graph.node("Unsqueeze", [graph.input(x), axis]) for x in call.inputs], axis=call.options["axis"]
    )


@converts(shape.SplitFunction)
def _split(graph, call):
    axis, squeeze = call.options["axis"], call.options["squeeze"]
    sizes = [1 if squeeze else piece.shape[axis] for piece in call.outputs]
    pieces = graph.node("Split", [_input(graph, call), graph.ints(sizes)], n_outputs=len(sizes), axis=axis)
    pieces = pieces if len(sizes) > 1 else [pieces]
    if squeeze:
        pieces = [graph.node("Squeeze", [piece, graph.ints([axis])]) for piece in pieces]
    return pieces


@converts(shape.PadFunction)
def _pad(graph, call):
    before, after = zip(*call.options["widths"])
    return graph.node(
        "Pad", [_input(graph, call), graph.ints(before + after), _scalar(graph, call.options["value"], call.outputs[0])]
    )


@converts(shape.MaskedFillFunction)
def _masked_fill(graph, call):
    value = _scalar(graph, call.options["value"], call.outputs[0])
    return graph.node("Where", [_input(graph, call, 1), value, _input(graph, call)])


@converts(shape.GatherFunction)
def _gather(graph, call):
    return graph.node("GatherElements", [_input(graph, call), _input(graph, call, 1)], axis=call.options["axis"])


@converts(shape.IndexFunction)
def _index(graph, call):
    """x[index] for ints, slices, None, Ellipsis and one integer array, one node per item."""
    x, index = call.inputs[0], call.options["index"]
    items = list(index) if isinstance(index, tuple) else [index]
    if sum(isinstance(item, np.ndarray) for item in items) > 1 or any(
        isinstance(item, np.ndarray) and item.dtype.kind not in "iu" for item in items
    ):
        raise NotImplementedError(
            f"npgrad.onnx.export: {call.where()} indexes with a boolean mask or "
            f"several integer arrays, which has no ONNX export here"
        )
    if any(item is Ellipsis for item in items):
        at = next(i for i, item in enumerate(items) if item is Ellipsis)
        taken = sum(item is not None and item is not Ellipsis for item in items)
        items[at : at + 1] = [slice(None)] * (x.ndim - taken)
    value, axis = graph.input(x), 0
    for item in items:
        value, axis = _index_item(graph, value, item, axis)
    return value


def _index_item(graph, value, item, axis):
    """One item of an index applied at `axis`: the new value and the next axis."""
    if item is None:
        return graph.node("Unsqueeze", [value, graph.ints([axis])]), axis + 1
    if isinstance(item, slice):
        if item == slice(None):
            return value, axis + 1
        step = 1 if item.step is None else item.step
        start = item.start if item.start is not None else (0 if step > 0 else INT64_MAX)
        stop = item.stop if item.stop is not None else (INT64_MAX if step > 0 else -INT64_MAX)
        return graph.node(
            "Slice", [value, graph.ints([start]), graph.ints([stop]), graph.ints([axis]), graph.ints([step])]
        ), axis + 1
    if isinstance(item, np.ndarray):
        return graph.node("Gather", [value, graph.const(item.astype(np.int64))], axis=axis), axis + item.ndim
    return graph.node("Gather", [value, graph.const(np.int64(item))], axis=axis), axis  # an int drops the axis


# --------------------------------------------------------------------------- reductions
def _reduce(graph, op_type, x, axis, keepdim):
    """A Reduce* node over `axis` (None: every axis); axes became an input in opset 18 (13 for ReduceSum)."""
    axes = None if axis is None else list(axis if isinstance(axis, tuple) else (axis,))
    if axes is None:
        return graph.node(op_type, [x], keepdims=int(keepdim))
    if op_type == "ReduceSum" or graph.opset >= 18:
        return graph.node(op_type, [x, graph.ints(axes)], keepdims=int(keepdim))
    return graph.node(op_type, [x], axes=axes, keepdims=int(keepdim))


@converts(reduction.SumFunction)
def _sum(graph, call):
    return _reduce(graph, "ReduceSum", _input(graph, call), call.options["axis"], call.options["keepdim"])


@converts(reduction.MeanFunction)
def _mean(graph, call):
    return _reduce(graph, "ReduceMean", _input(graph, call), call.options["axis"], call.options["keepdim"])


@converts(reduction.LogSumExpFunction)
def _logsumexp(graph, call):
    return _reduce(graph, "ReduceLogSumExp", _input(graph, call), call.options["axis"], call.options["keepdim"])


@converts(reduction.ExtremumFunction)
def _extremum(graph, call):
    op_type = "ReduceMax" if call.options["pick"] is np.max else "ReduceMin"
    return _reduce(graph, op_type, _input(graph, call), call.options["axis"], call.options["keepdim"])


@converts(reduction.ExtremumDimFunction)
def _extremum_dim(graph, call):
    op_type = "ReduceMax" if call.options["arg"] is np.argmax else "ReduceMin"
    return _reduce(graph, op_type, _input(graph, call), call.options["axis"], call.options["keepdim"])


@converts(reduction.VarFunction, reduction.StdFunction)
def _var(graph, call):
    # sum((x - mean)^2) / (N - correction), and its square root for std
    axis, out = call.options["axis"], call.outputs[0]
    axes = range(call.inputs[0].ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    if any(graph.varying(call, input=0)[a] for a in axes):
        raise NotImplementedError(f"npgrad.onnx.export: {call.where()} reduces over the batch dim")
    count = math.prod(call.inputs[0].shape[a] for a in axes)
    x = _input(graph, call)
    centered = graph.node("Sub", [x, _reduce(graph, "ReduceMean", x, axis, True)])
    squares = _reduce(graph, "ReduceSum", graph.node("Mul", [centered, centered]), axis, call.options["keepdim"])
    var = graph.node("Div", [squares, _scalar(graph, max(count - call.options["correction"], 0), out)])
    return graph.node("Sqrt", [var]) if call.op is reduction.StdFunction else var
