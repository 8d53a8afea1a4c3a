"""Matrix products: matmul (1-D, 2-D, batched, broadcast), bmm, einsum and the fused linear layer."""

from __future__ import annotations

import builtins
import string
from collections.abc import Sequence

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..types import Number
from ._util import as_rows, check_input_dtype, tensor_pair, unbroadcast


class MatMulFunction(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, grad):
        # Treat vectors as matrices: a (k,) is (1, k); b (k,) is (k, 1); grad gets those dims.
        a = self.a[None, :] if self.a.ndim == 1 else self.a
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        grad = grad.reshape(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1]))
        grad_a = grad_b = None
        if self.needs_input_grad[0]:  # dL/dA = dL/dC B^T
            grad_a = unbroadcast(np.matmul(grad, np.swapaxes(b, -1, -2)), a.shape).reshape(self.a.shape)
        if self.needs_input_grad[1]:  # dL/dB = A^T dL/dC
            grad_b = unbroadcast(np.matmul(np.swapaxes(a, -1, -2), grad), b.shape).reshape(self.b.shape)
        return grad_a, grad_b


class EinsumFunction(Function):
    """y = einsum(inputs -> output, *arrays), with no index repeated within one operand."""

    def forward(self, *arrays, inputs, output):
        self.arrays, self.inputs, self.output = arrays, inputs, output
        return np.asarray(np.einsum(f"{','.join(inputs)}->{output}", *arrays, optimize=len(arrays) > 1))

    def backward(self, grad):
        return tuple(self._grad_of(k, grad) if needed else None for k, needed in enumerate(self.needs_input_grad))

    def _grad_of(self, k, grad):
        # dL/dA_k = einsum(dL/dy with every other operand -> A_k's indices): y is linear in A_k
        others = [j for j in range(len(self.arrays)) if j != k]
        present = set(self.output).union(*(self.inputs[j] for j in others))
        target = "".join(c for c in self.inputs[k] if c in present)
        terms = ",".join([self.output] + [self.inputs[j] for j in others])
        g = np.einsum(f"{terms}->{target}", grad, *(self.arrays[j] for j in others), optimize=bool(others))
        # an index summed over in A_k alone: each of its entries gets the same gradient
        shape = self.arrays[k].shape
        return np.broadcast_to(g.reshape([n if c in present else 1 for c, n in zip(self.inputs[k], shape)]), shape)


class LinearFunction(Function):
    """y = x W^T + b for x of shape (..., in); W is (out, in) as in PyTorch.

    The leading dimensions are folded into one before the product: a single 2-D GEMM is
    3-4x faster than np.matmul's loop of small products over a 3-D x.
    Textbook twin: npgrad.textbook.LinearFunction."""

    def forward(self, x, weight, bias):
        self.x, self.weight = x, weight
        y = np.matmul(as_rows(x), weight.T)
        if bias is not None:
            y += bias
        return y.reshape(*x.shape[:-1], weight.shape[0])

    def backward(self, grad):
        x2d, grad2d = as_rows(self.x), as_rows(grad)
        # dL/dx = delta W
        grad_x = np.matmul(grad2d, self.weight).reshape(self.x.shape) if self.needs_input_grad[0] else None
        grad_w = np.matmul(grad2d.T, x2d) if self.needs_input_grad[1] else None  # dL/dW = delta^T x
        grad_b = grad2d.sum(axis=0) if self.needs_input_grad[2] else None  # dL/db = sum of delta over rows
        return grad_x, grad_w, grad_b


def _check_matmul(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least one dimension, got shapes {a.shape} and {b.shape}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
            f"({k_a} columns in the first, {k_b} rows in the second)"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not broadcast") from None


def matmul(a: Tensor | Number, b: Tensor | Number) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics for 1-D, 2-D and batched operands."""
    a, b = tensor_pair(a, b)
    _check_matmul(a, b)
    return MatMulFunction.apply(a, b)


def linear_map(where: object, input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """linear; errors name `where` (the op or the layer)."""
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"{where}: expected input with last dimension {weight.shape[-1]}, got shape {tuple(input.shape)}"
        )
    check_input_dtype(where, input, weight)
    return LinearFunction.apply(input, weight, bias)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias; weight has shape (out_features, in_features)."""
    return linear_map("linear", input, weight, bias)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p) tensors: (b, n, p); no broadcasting."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise ValueError(f"bmm: expected two 3-D tensors, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise ValueError(
            f"bmm: shapes {tuple(input.shape)} and {tuple(mat2.shape)} do not fit: expected (b, n, m) and (b, m, p)"
        )
    if input.dtype != mat2.dtype:
        raise TypeError(f"bmm: both tensors must have the same dtype, got {input.dtype} and {mat2.dtype}")
    return MatMulFunction.apply(input, mat2)


def _parse_einsum(equation, operands):
    """The input subscripts and output subscripts of the equation, '...' spelled out in unused
    letters (right-aligned, as broadcasting aligns dims); the implicit output is the ellipsis
    dims, then the indices seen once in alphabetical order."""
    lhs, arrow, output = equation.replace(" ", "").partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum: {equation!r} has {len(inputs)} operand(s), got {len(operands)} tensor(s)")
    named = "".join(inputs + [output]).replace("...", "")
    if not all(c.isalpha() and c.isascii() for c in named):
        raise ValueError(f"einsum: subscripts must be letters a-z, A-Z and '...', got {equation!r}")
    spare = [c for c in string.ascii_letters if c not in named]
    ranks = [x.ndim - len(term.replace("...", "")) if "..." in term else 0 for term, x in zip(inputs, operands)]
    broadcast = "".join(spare[: builtins.max(ranks, default=0)])
    inputs = [
        term.replace("...", broadcast[len(broadcast) - rank :] if rank > 0 else "") for term, rank in zip(inputs, ranks)
    ]
    letters = "".join(inputs)
    if arrow:
        output = output.replace("...", broadcast)
    else:
        output = broadcast + "".join(sorted(c for c in set(letters) - set(broadcast) if letters.count(c) == 1))
    for subscripts, x in zip(inputs + [output], operands + (None,)):
        if len(set(subscripts)) != len(subscripts):
            raise ValueError(
                f"einsum: an index repeated within one operand ({subscripts!r}: traces and diagonals) is not supported"
            )
        if x is not None and len(subscripts) != x.ndim:
            raise ValueError(
                f"einsum: subscripts {subscripts!r} name {len(subscripts)} dims, the tensor has "
                f"{x.ndim} (shape {tuple(x.shape)})"
            )
    if set(output) - set(letters):
        raise ValueError(f"einsum: output index in {output!r} appears in no input of {equation!r}")
    return inputs, output


def _index_sizes(inputs, operands):
    """Each index's size; an index may have size 1 in some operands (it broadcasts there)."""
    sizes = {}
    for subscripts, x in zip(inputs, operands):
        for c, n in zip(subscripts, x.shape):
            if n != 1 and sizes.get(c, 1) not in (1, n):
                raise ValueError(f"einsum: index {c!r} has size {sizes[c]} in one operand and {n} in another")
            sizes[c] = builtins.max(sizes.get(c, 1), n)
    return sizes


def _drop_broadcast_dims(x, subscripts, sizes):
    """x without the size-1 dims that broadcast against a larger size of their index (the
    index then simply does not occur in this operand), and its subscripts without them."""
    keep = [i for i, c in enumerate(subscripts) if x.shape[i] == sizes[c]]
    if len(keep) == x.ndim:
        return x, subscripts
    return x.reshape(tuple(x.shape[i] for i in keep)), "".join(subscripts[i] for i in keep)


def einsum(equation: str, *operands: Tensor | Sequence[Tensor]) -> Tensor:
    """Einstein summation, e.g. einsum("bij,bjk->bik", a, b) is a batched matmul; operands may
    also come as one list. '...' stands for the remaining dims; dims of size 1 broadcast.
    An index repeated within one operand (traces, diagonals) is not supported."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if len({x.dtype for x in operands}) > 1:
        raise TypeError(f"einsum: all operands must have the same dtype, got {[str(x.dtype) for x in operands]}")
    inputs, output = _parse_einsum(equation, operands)
    sizes = _index_sizes(inputs, operands)
    operands, inputs = zip(*(_drop_broadcast_dims(x, s, sizes) for x, s in zip(operands, inputs)))
    return EinsumFunction.apply(*operands, inputs=tuple(inputs), output=output)


def _check_ranks(name, expected, *operands):
    """Refuse operands whose numbers of dims are not `expected` (torch's 2-D / 1-D products)."""
    if tuple(x.ndim for x in operands) != expected:
        wanted = " and ".join(f"{n}-D" for n in expected)
        got = " and ".join(str(tuple(x.shape)) for x in operands)
        raise ValueError(f"{name}: expected {wanted} tensors, got shapes {got}")


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """(n, m) @ (m, p): the product of two matrices, without matmul's broadcasting."""
    _check_ranks("mm", (2, 2), input, mat2)
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """(n, m) @ (m,): a matrix times a vector."""
    _check_ranks("mv", (2, 1), input, vec)
    return matmul(input, vec)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """sum_i a_i b_i of two vectors of one length, a 0-d tensor."""
    _check_ranks("dot", (1, 1), input, other)
    return matmul(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """a_i b_j: the (n, m) outer product of two vectors."""
    _check_ranks("outer", (1, 1), input, vec2)
    return input.unsqueeze(1) * vec2.unsqueeze(0)
