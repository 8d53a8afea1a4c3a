"""Modules exported whole: nn.RNN, nn.LSTM, nn.GRU and their cells as ONNX's RNN, LSTM and GRU ops.

ONNX's recurrent ops take one layer each, in both directions at once, with their own gate
orders: the LSTM's gates are i, o, f, c (PyTorch: i, f, g, o) and the GRU's z, r, h (PyTorch:
r, z, n). linear_before_reset=1 is PyTorch's GRU, which applies r to (W_hn h + b_hn). Shapes:
W (directions, gates*H, input), R (directions, gates*H, H), B (directions, 2*gates*H) = the
input biases then the hidden ones; output Y (T, directions, B, H), Y_h and Y_c (directions, B, H).
"""

import numpy as np

from ..nn.rnn import RNNBase, RNNCellBase, _weights

# mode -> (ONNX op, PyTorch's gate blocks in ONNX's order, extra attributes)
RECURRENT = {
    "LSTM": ("LSTM", [0, 3, 1, 2], {}),
    "GRU": ("GRU", [1, 0, 2], {"linear_before_reset": 1}),
    "RNN_TANH": ("RNN", [0], {"activations": ["Tanh"]}),
    "RNN_RELU": ("RNN", [0], {"activations": ["Relu"]}),
}


def _gates_reordered(array, order):
    """The gate blocks of a PyTorch weight or bias (along dim 0) in ONNX's order."""
    return np.concatenate([array[k * len(array) // len(order) : (k + 1) * len(array) // len(order)] for k in order])


def _stacked_weights(per_direction, order):
    """ONNX's W, R and B (None without biases) from (weight_ih, weight_hh, bias_ih, bias_hh) per direction."""
    w, r = ([_gates_reordered(p[i]._data, order) for p in per_direction] for i in (0, 1))
    if per_direction[0][2] is None:
        return np.stack(w), np.stack(r), None
    b = [
        np.concatenate([_gates_reordered(p[2]._data, order), _gates_reordered(p[3]._data, order)])
        for p in per_direction
    ]
    return np.stack(w), np.stack(r), np.stack(b)


def _recurrent_node(graph, module, x, per_direction, states):
    """One ONNX RNN, LSTM or GRU node over x (T, B, I), from the initial states (each
    (directions, B, H)) if any: its output Y and its final states."""
    op_type, order, attributes = RECURRENT[module.mode]
    w, r, b = _stacked_weights(per_direction, order)
    inputs = [x, graph.const(w), graph.const(r), "" if b is None else graph.const(b)]
    if states:
        inputs += [""] + states  # "": no sequence_lens
    if "activations" in attributes:
        attributes = {"activations": attributes["activations"] * len(per_direction)}
    y, *final = graph.node(
        op_type,
        inputs,
        n_outputs=1 + module.n_states,
        hidden_size=module.hidden_size,
        direction="bidirectional" if len(per_direction) == 2 else "forward",
        **attributes,
    )
    return y, final


def _layer_states(graph, states, layer, directions):
    """Each state's rows for one layer, (directions, B, H), from h0 (and c0), (layers * directions, B, H)."""
    rows = [graph.ints([layer * directions]), graph.ints([(layer + 1) * directions]), graph.ints([0])]
    return [graph.node("Slice", [graph.input(s)] + rows) for s in states]


def _refuse_unbatched(call, input, dims):
    if input.ndim != dims:
        raise NotImplementedError(
            f"npgrad.onnx.export: {call.where()} has an unbatched input of shape "
            f"{tuple(input.shape)}; export it with a batch dim"
        )


def _recurrent(graph, call):
    """nn.RNN, nn.LSTM, nn.GRU: one node per layer; returns output, h_n (and c_n)."""
    module = call.op
    if call.arguments.get("lengths") is not None:
        raise NotImplementedError(
            f"npgrad.onnx.export: {call.where()} is called with lengths; variable-length "
            f"batches have no export yet (pad the sequences and run without lengths)"
        )
    input, states = call.inputs[0], call.inputs[1:]  # the input, then h0 (and c0) when given
    _refuse_unbatched(call, input, 3)
    x = graph.input(input)
    if module.batch_first:
        x = graph.node("Transpose", [x], perm=[1, 0, 2])  # the ops work time-major
    finals = []
    for layer in range(module.num_layers):
        per_direction = [_weights(module, suffix) for suffix in module._suffixes(layer)]
        initial = _layer_states(graph, states, layer, module.num_directions) if states else []
        y, final = _recurrent_node(graph, module, x, per_direction, initial)
        # (T, directions, B, H) -> (T, B, directions * H), the directions side by side as in PyTorch
        x = graph.node("Reshape", [graph.node("Transpose", [y], perm=[0, 2, 1, 3]), graph.ints([0, 0, -1])])
        finals.append(final)
    output = graph.node("Transpose", [x], perm=[1, 0, 2]) if module.batch_first else x
    # h_n (and c_n): every layer's final states, (layers * directions, B, H)
    states = [
        graph.node("Concat", list(layer_states), axis=0) if len(finals) > 1 else layer_states[0]
        for layer_states in zip(*finals)
    ]
    return [output] + states


def _cell(graph, call):
    """nn.RNNCell, nn.LSTMCell, nn.GRUCell: a node over a sequence of one step; returns h' (and c')."""
    input, states = call.inputs[0], call.inputs[1:]  # the input, then h (and c) when given
    _refuse_unbatched(call, input, 2)
    first_axis = graph.ints([0])
    step, *initial = (graph.node("Unsqueeze", [graph.input(x), first_axis]) for x in [input, *states])
    _, final = _recurrent_node(graph, call.op, step, [_weights(call.op)], initial)
    return [graph.node("Squeeze", [s, first_axis]) for s in final]


_recurrent.batch_dependent = {"lengths"}  # refused by _recurrent itself, with a clearer message
MODULE_CONVERTERS = {RNNBase: _recurrent, RNNCellBase: _cell}


def module_converter(module):
    """The converter of a module exported whole, or None."""
    return next((convert for cls, convert in MODULE_CONVERTERS.items() if isinstance(module, cls)), None)
