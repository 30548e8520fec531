"""The user's side of autograd: Tensor.backward, grad(y, x) and grad(f)."""
from __future__ import annotations

import numpy as np

from . import batched
from .autograd import run_backward
from .errors import AutogradError, TcalcTypeError
from .ops import _base
from .tensor import Tensor
from .values import CALLABLES, GradFunction, GradMode, SessionBuiltin, Transformed


def _implicit_gradient(y: Tensor, gradient) -> Tensor:
    if gradient is None:
        if y.data.size != 1:
            raise AutogradError("grad can be implicitly created only for scalar outputs",
                                hint="reduce it first (y.sum().backward()) or pass gradient= "
                                     "with the shape of the output")
        data = y.data
        return Tensor(np.array(1, data.dtype) if data.ndim == 0 else np.ones(data.shape, data.dtype))
    gradient = _base.as_tensor(gradient)
    if gradient.data.shape != y.data.shape:
        raise AutogradError(
            f"Mismatch in shape: grad_output[0] has a shape of {_size(gradient)} and output[0] "
            f"has a shape of {_size(y)}.")
    return gradient


def _size(t: Tensor) -> str:
    return "torch.Size([" + ", ".join(str(n) for n in t.data.shape) + "])"


def backward(y, gradient=None, retain_graph=None, create_graph=False) -> None:
    y = _base.as_tensor(y)
    if not y.requires_grad:
        raise AutogradError("element 0 of tensors does not require grad and does not have a grad_fn",
                            hint="call requires_grad_() on the inputs before computing y")
    retain = create_graph if retain_graph is None else bool(retain_graph)
    run_backward([y], [_implicit_gradient(y, gradient)], retain_graph=retain,
                 create_graph=bool(create_graph))


def grad(outputs, inputs=None, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False, argnums=0, has_aux=False):
    """`grad(y, x)`: dy/dx as a tensor (a tuple for a tuple of inputs); `grad(f)`: the
    gradient function of f."""
    if isinstance(outputs, CALLABLES):
        if inputs is not None:
            raise TcalcTypeError("grad(f) takes the function only; call the result: grad(f)(x)")
        from . import functional

        return functional.grad(outputs, argnums, has_aux)
    if inputs is None:
        raise TcalcTypeError("grad() needs the output and the inputs: grad(y, x), or a function: "
                             "grad(f)")
    many = isinstance(inputs, (tuple, list))
    xs = [_base.as_tensor(x) for x in (inputs if many else (inputs,))]
    y = _base.as_tensor(outputs)
    # PyTorch looks at the output first, then at each input.
    if not y.requires_grad:
        raise AutogradError("element 0 of tensors does not require grad and does not have a grad_fn",
                            hint="the output depends on no tensor that requires grad: create the "
                                 "inputs with requires_grad=True (or call x.requires_grad_()) "
                                 "before computing the output")
    for x in xs:
        if not x.requires_grad:
            raise AutogradError("One of the differentiated Tensors does not require grad",
                                hint="every tensor you differentiate with respect to must require "
                                     "grad: create it with requires_grad=True, or call "
                                     "x.requires_grad_() before computing the output")
    retain = create_graph if retain_graph is None else bool(retain_graph)
    results = run_backward([y], [_implicit_gradient(y, grad_outputs)], retain_graph=retain,
                           create_graph=bool(create_graph), inputs=xs)
    for i, r in enumerate(results):
        if r is None:
            if not allow_unused:
                raise AutogradError("One of the differentiated Tensors appears to not have been used "
                                    "in the graph. Set allow_unused=True if this is the desired "
                                    "behavior.")
        elif not create_graph:
            results[i] = Tensor(r.data)
    return tuple(results) if many else results[0]


def call_grad_function(gf: GradFunction, args: tuple, kwargs: dict, call) -> object:
    """Evaluate grad(f)(*args), jacrev(f)(*args), vmap(f)(*args), ...: tcalc.functional
    does the work, with the evaluator's `call` for calling f."""
    from . import functional

    if isinstance(gf, SessionBuiltin):
        batched.refuse_effects()
        return gf.function(args, kwargs, call.__self__.globals)  # `call` is the Session's
    if gf.kind not in _BATCH_AWARE and batched.attempting() and batched.contains_batched(args):
        if gf.kind in ("grad", "grad_and_value"):  # per-example gradients, in one backward
            return functional.call_batched_grad(gf, args, kwargs, call)
        raise batched.NoBatchingRule  # a Jacobian of one example of vmap's batch: vmap loops
    return functional.CALL[gf.kind](gf, args, kwargs, call)


# The transforms that take one example of vmap's batch as it is.
_BATCH_AWARE = {"vmap", "no_grad", "enable_grad", "inference_mode", "set_grad_enabled"}


def grad_mode_function(mode: GradMode, args: tuple, kwargs: dict) -> Transformed:
    """`no_grad()(f)`: f, to be run in that grad mode (decorator style)."""
    if len(args) != 1 or kwargs or not isinstance(args[0], CALLABLES):
        raise TcalcTypeError(f"{mode.name}() wraps a function: {mode.name}()(f)",
                             hint=f"or use it as a block: with torch.{mode.name}():")
    return Transformed(mode.name, args[0], enabled=mode.enabled)


def autograd_backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """torch.autograd.backward(tensors, grad_tensors): one backward pass from several outputs."""
    many = isinstance(tensors, (tuple, list))
    ys = [_base.as_tensor(t) for t in (tensors if many else (tensors,))]
    if grad_tensors is None:
        gs = [None] * len(ys)
    else:
        gs = list(grad_tensors) if isinstance(grad_tensors, (tuple, list)) else [grad_tensors]
    if len(gs) != len(ys):
        raise AutogradError("grad can be implicitly created only for scalar outputs" if not gs else
                            f"Mismatch in length: got {len(gs)} grad_tensors for {len(ys)} tensors",
                            hint="give one gradient per tensor (None for a scalar)")
    for i, y in enumerate(ys):
        if not y.requires_grad:
            raise AutogradError(f"element {i} of tensors does not require grad and does not have a grad_fn",
                                hint="call requires_grad_() on the inputs before computing the outputs")
    seeds = [_implicit_gradient(y, g) for y, g in zip(ys, gs)]
    retain = create_graph if retain_graph is None else bool(retain_graph)
    run_backward(ys, seeds, retain_graph=retain, create_graph=bool(create_graph))
