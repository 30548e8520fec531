"""einsum: PyTorch's equation grammar (implicit output, `...`, spaces, operands as a list),
its refusals in its words, and a gradient that is itself an einsum."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import Op, apply
from ..errors import DTypeError, ShapeError, TcalcTypeError, TcalcValueError
from ..limits import check_shape
from ..tensor import Tensor
from ..values import type_name
from ._base import result_type
from .convert import to_dtype

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # PyTorch's label order
_ELLIPSIS = "..."


def _error(message: str) -> ShapeError:
    return ShapeError(f"einsum(): {message}", hint="einsum('ij,jk->ik', a, b): one subscript letter per "
                      "dim of each operand, ',' between operands, '...' for the dims not named")


def _parse_inputs(lhs: str, count: int) -> list[list[str]]:
    """Each operand's labels (letters, or '...'), as PyTorch reads the left side: spaces
    ignored, one ellipsis per operand, the number of operands checked against count."""
    labels: list[list[str]] = [[]]
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            operand = len(labels) - 1
            if _ELLIPSIS in labels[-1]:
                raise _error(f"found '.' for operand {operand} for which an ellipsis was already found")
            if lhs[i:i + 3] != _ELLIPSIS or i + 2 >= len(lhs):
                raise _error(f"found '.' for operand {operand} that is not part of any ellipsis")
            labels[-1].append(_ELLIPSIS)
            i += 2
        elif c == ",":
            labels.append([])
            if len(labels) > count:
                raise _error("fewer operands were provided than specified in the equation")
        elif c in _LETTERS:
            labels[-1].append(c)
        else:
            raise _error(f"invalid subscript given at index {i} in the equation string, "
                         "subscripts must be in [a-zA-Z]")
        i += 1
    if len(labels) != count:
        raise _error("more operands were provided than specified in the equation")
    return labels


def _parse_output(rhs: str, offset: int, seen: set[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(rhs):
        c = rhs[i]
        if c == " ":
            pass
        elif c == ".":
            if _ELLIPSIS in out:
                raise _error("found '.' for output but an ellipsis (...) was already found")
            if rhs[i:i + 3] != _ELLIPSIS or i + 2 >= len(rhs):
                raise _error("found '.' for output that is not part of any ellipsis (...)")
            out.append(_ELLIPSIS)
            i += 2
        elif c in _LETTERS:
            if c in out:
                raise _error(f"output subscript {c} appears more than once in the output")
            if c not in seen:
                raise _error(f"output subscript {c} does not appear in the equation for any input operand")
            out.append(c)
        else:
            raise _error(f"invalid subscript given at index {offset + i} in the equation string, "
                         "subscripts must be in [a-zA-Z]")
        i += 1
    return out


def _operands(args) -> tuple:
    if len(args) == 1 and type(args[0]) in (list, tuple):
        args = tuple(args[0])
    if not args:
        raise TcalcValueError("einsum(): must specify the equation string and at least one operand, "
                              "or at least one operand and its subscripts list")
    for i, x in enumerate(args):
        if type(x) is not Tensor:
            raise TcalcTypeError(f"expected Tensor as element {i} in argument 1, but got {type_name(x)}")
    return args


def _sublist_equation(args) -> tuple:
    """einsum(a, [0, 1], b, [1, 2], [0, 2]): each operand's subscripts as ints in [0, 52)
    (or ...), then the output's if given; as the equation string PyTorch makes of them."""
    def letters(sublist) -> str:
        text = ""
        for n in sublist:
            if n is Ellipsis:
                text += _ELLIPSIS
            elif not isinstance(n, int) or isinstance(n, bool):
                raise TcalcTypeError(f"'{type_name(n)}' object cannot be interpreted as an integer")
            elif not 0 <= n < len(_LETTERS):
                raise TcalcValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
            else:
                text += _LETTERS[n]
        return text

    output = None
    if len(args) % 2:  # an output list after the pairs
        args, output = args[:-1], args[-1]
        if type(output) is Tensor:
            raise TcalcValueError("Boolean value of Tensor with more than one value is ambiguous",
                                  hint="in einsum's sublist form each operand is followed by its "
                                       "subscripts: einsum(a, [0, 1], b, [1, 2])")
    operands, terms = args[0::2], args[1::2]
    for term in terms + ((output,) if output is not None else ()):
        if type(term) not in (list, tuple):
            raise TcalcTypeError(f"einsum(): a subscripts list must be a list of ints, not {type_name(term)}")
    equation = ",".join(letters(term) for term in terms)
    return (equation if output is None else equation + "->" + letters(output)), operands


def einsum(equation, *args) -> Tensor:
    """torch.einsum(equation, *operands), einsum(equation, [operands]), or the sublist
    form einsum(a, [0, 1], b, [1, 2])."""
    if type(equation) is Tensor:
        equation, args = _sublist_equation((equation,) + args)
    if not isinstance(equation, str):
        raise TcalcTypeError(f"einsum(): argument 'equation' (position 1) must be str, not {type_name(equation)}")
    operands = _operands(args)
    lhs, arrow, rhs = equation.partition("->")
    labels = _parse_inputs(lhs, len(operands))
    ellipsis_dims = 0
    for i, (own, x) in enumerate(zip(labels, operands)):
        named = len(own) - (_ELLIPSIS in own)
        ndim = x.data.ndim
        if _ELLIPSIS in own:
            if named > ndim:
                raise _error(f"the number of subscripts in the equation ({named}) is more than the number "
                             f"of dimensions ({ndim}) for operand {i}")
            ellipsis_dims = max(ellipsis_dims, ndim - named)
        elif named != ndim:
            raise _error(f"the number of subscripts in the equation ({named}) does not match the number "
                         f"of dimensions ({ndim}) for operand {i} and no ellipsis was given")
    counts: dict[str, int] = {}
    for own in labels:
        for label in own:
            if label != _ELLIPSIS:
                counts[label] = counts.get(label, 0) + 1
    if arrow:
        output = _parse_output(rhs, len(lhs) + 2, set(counts))
    else:  # implicit: the ellipsis, then the labels seen once, in PyTorch's order
        output = [_ELLIPSIS] + sorted((c for c, k in counts.items() if k == 1), key=_LETTERS.index)
    return _contract(*_spelled_out(labels, output, operands, ellipsis_dims))


def _spelled_out(labels, output, operands, ellipsis_dims):
    """The equation with each ellipsis written as letters no one used (right-aligned, as
    they broadcast), and each letter's size, checked as PyTorch checks them."""
    used = {c for own in labels for c in own} | set(output)
    spare = [c for c in _LETTERS if c not in used]
    if ellipsis_dims > len(spare):
        raise _error("too many dims for einsum's 52 subscript letters")
    covered = spare[:ellipsis_dims]
    sizes: dict[str, int] = {}
    subscripts = []
    for i, (own, x) in enumerate(zip(labels, operands)):
        shape = x.data.shape
        if _ELLIPSIS in own:
            at = own.index(_ELLIPSIS)
            span = len(shape) - (len(own) - 1)
            letters = own[:at] + covered[ellipsis_dims - span:] + own[at + 1:]
        else:
            at, span, letters = -1, 0, list(own)
        first: dict[str, int] = {}
        for d, (letter, n) in enumerate(zip(letters, shape)):
            if letter in first:
                if n != shape[first[letter]]:
                    raise _error(f"subscript {letter} is repeated for operand {i} but the sizes don't "
                                 f"match, {n} != {shape[first[letter]]}")
                continue
            first[letter] = d
            seen = sizes.get(letter)
            if seen is not None and n != seen and n != 1 and seen != 1:
                if at <= d < at + span:
                    k = d - at + ellipsis_dims - span
                    raise _error(f"dimension {k} covered by ellipsis in operand {i}has size {n} which does "
                                 f"not broadcast with previously seen ellipsis with size {seen} for the "
                                 "respective dimension")
                raise _error(f"subscript {letter} has size {n} for operand {i} which does not broadcast "
                             f"with previously seen size {seen}")
            sizes[letter] = n if seen is None or seen == 1 else seen
        subscripts.append("".join(letters))
    out = "".join(c for label in output for c in (covered if label == _ELLIPSIS else [label]))
    return subscripts, out, operands, sizes


# PyTorch runs einsum as permutes, sums, products and bmm: the last of them names the
# result's grad_fn. One operand: a permute (or diagonal) or a sum; more: a product, or a
# view of bmm's result when something is summed.
def _forward(*arrays, subscripts, output, sizes, compute):
    arrays = [np.broadcast_to(a, _broadcast_shape(a.shape, s, sizes)).astype(compute, copy=False)
              for a, s in zip(arrays, subscripts)]
    out = np.einsum(",".join(subscripts) + "->" + output, *arrays, optimize=len(arrays) > 2)
    return np.array(out, dtype=compute)  # a copy: einsum may give a view of a diagonal


def _broadcast_shape(shape, letters, sizes):
    return tuple(sizes[c] if n == 1 else n for c, n in zip(letters, shape))


def _backward(n, g):
    """d/d operand k: einsum of the gradient with the other operands, back to k's letters;
    a repeated letter puts it on a diagonal (times the identity), a letter only k has
    spreads it (times ones)."""
    subscripts, output = n.params["subscripts"], n.params["output"]
    sizes = dict(n.params["sizes"])
    grads = []
    for k, own in enumerate(subscripts):
        if not n.needs_grad(k):
            grads.append(None)
            continue
        terms, operands = [output], [g]
        for j, other in enumerate(subscripts):
            if j != k:
                terms.append(other)
                operands.append(to_dtype(n.inputs[j], g.dtype))  # a product that promoted
        free = [c for c in _LETTERS if c not in "".join(subscripts) + output]
        target = []
        for letter in own:
            if letter in target:  # a diagonal: a fresh letter tied to the first by eye
                fresh = free.pop()
                sizes[fresh] = sizes[letter]
                terms.append(letter + fresh)
                operands.append(Tensor(np.eye(sizes[letter], dtype=g.data.dtype)))
                target.append(fresh)
            else:
                target.append(letter)
        alone = "".join(dict.fromkeys(c for c in own if c not in "".join(terms)))
        if alone:
            terms.append(alone)
            operands.append(Tensor(np.ones([sizes[c] for c in alone], dtype=g.data.dtype)))
        grads.append(_contract(terms, "".join(target), operands, sizes))
    return tuple(grads)


_OPS = {name: Op(name, _forward, _backward) for name in
        ("PermuteBackward0", "SumBackward1", "MulBackward0", "ViewBackward0")}


def _contract(subscripts, output, operands, sizes) -> Tensor:
    summed = any(c not in output for s in subscripts for c in s)
    if len(operands) == 1:
        op = _OPS["SumBackward1" if summed else "PermuteBackward0"]
        x = operands[0]
        dtype = x.dtype if not summed or x.dtype.is_floating_point else dtypes.int64
    else:
        op = _OPS["ViewBackward0" if summed else "MulBackward0"]
        dtype = _product_dtype(operands, summed)
    check_shape(tuple(sizes[c] for c in output), "einsum's result")
    compute = dtype.numpy
    if dtype.name in ("float16", "bfloat16"):
        compute = np.float32  # accumulated in float, as PyTorch's CPU kernels do
    out = apply(op, tuple(operands), tuple(x.data for x in operands), subscripts=tuple(subscripts),
                output=output, sizes=sizes, compute=compute)
    if out.data.dtype != dtype.numpy:
        out.data = out.data.astype(dtype.numpy)
    return out


def _product_dtype(operands, summed: bool) -> dtypes.DType:
    """A sum of products runs as bmm, which wants one dtype; elementwise products promote."""
    if not summed:
        return result_type(*operands)
    first = operands[0].dtype
    for x in operands[1:]:
        if x.dtype is not first:
            raise DTypeError(f"expected scalar type {first.torch_name} but found {x.dtype.torch_name}",
                             hint="convert the operands to one dtype, e.g. with .float()")
    if first.name == "bool":
        raise DTypeError("\"bmm\" not implemented for 'Bool'")
    return first
