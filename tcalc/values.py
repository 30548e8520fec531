"""Values of the language other than tensors and plain Python data (callables, namespaces,
PyTorch's named results), and the name of any value's type as a PyTorch user says it.

Plain slotted classes rather than dataclasses: every run imports them, and building a
dataclass costs start-up time. They compare by identity, as functions do in Python.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import autograd, dtypes
from .autograd import Node
from .tensor import Size, Tensor

# What calling a builtin may change besides its result, for undoing a failed statement
# (tcalc.journal): a tensor argument's elements, its autograd flags, or (a backward) the
# .grad of leaves and the graph's saved tensors.
CHANGES_CONTENTS = "contents"
CHANGES_FLAGS = "flags"
RUNS_BACKWARD = "backward"
# Calling it writes text (print): the function returns the text, the evaluator writes it.
WRITES_OUTPUT = "output"
# It calls functions it is given (sorted(key=f), map(f, xs)): the evaluator passes the
# program's functions to it as Python callables.
CALLS_BACK = "calls back"


class Later:
    """A table's function (or a namespace's members) named now and imported when first
    used: `name` of the module `module` (tcalc.ops.later makes them for the ops modules
    tcalc does not import at start). Calling it imports it and calls it."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module = module
        self.name = name

    def resolve(self) -> Callable:
        from importlib import import_module

        return getattr(import_module(self.module), self.name)  # (a table's own name, never user text)

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)


class _ImportedOnFirstRead:
    """A value whose slot `_lazy_slot` may be given as a Later (kept in `_later`): the slot
    stays empty and is filled with what the Later names when first read (__getattr__ runs
    only while the slot is empty, so reading it later costs nothing more)."""

    __slots__ = ("_later",)
    _lazy_slot = ""

    def __getattr__(self, attribute: str):
        if attribute != self._lazy_slot:
            raise AttributeError(attribute)
        value = self._later.resolve()
        setattr(self, attribute, value)
        return value


class Builtin(_ImportedOnFirstRead):
    """A function from tcalc's own tables (`arange`, `torch.cat`, the method `x.add_`).
    `effect` is one of the CHANGES_*/RUNS_BACKWARD above, or None for a pure function.
    Given a Later, `function` is imported when first read."""

    __slots__ = ("name", "function", "effect")
    _lazy_slot = "function"

    def __init__(self, name: str, function: Callable, effect: str | None = None):
        self.name = name
        if type(function) is Later:  # (written out, not a shared method: 600 are made at start-up)
            self._later = function
        else:
            self.function = function
        self.effect = effect

    def __repr__(self) -> str:
        return f"<function torch._VariableFunctionsClass.{self.name}>"  # as Jupyter shows torch.NAME


class BoundMethod:
    """`x.sum` without a call: the method's table entry with its tensor."""

    __slots__ = ("method", "receiver")

    def __init__(self, method: Builtin, receiver: object):
        self.method = method
        self.receiver = receiver

    @property
    def name(self) -> str:
        return self.method.name

    @property
    def function(self) -> Callable:
        return self.method.function

    def __repr__(self) -> str:
        return f"<function Tensor.{self.name}>"  # as Jupyter shows x.NAME


class UserFunction:
    """A function the program defined: `f(x, y) = expression`, `lambda x: expression`, or
    `def f(x, y=2): ...` (a body of statements). Parameters bind at the call; other names
    are looked up then, in the defining function's frame (`closure`) and then the globals,
    as Python does.

    `params` are the parameter names for `f(x) = ...`, or ast.Param nodes with `defaults`
    (their values, computed when the function was defined) for def and lambda.
    """

    __slots__ = ("name", "params", "body", "defaults", "closure", "locals", "globals", "source", "kind")

    def __init__(self, name: str, params: tuple, body, defaults: tuple = (), closure=None,
                 locals: frozenset = frozenset(), globals: frozenset = frozenset(), source=None,
                 kind: str = "expression"):
        self.name = name
        self.params = params
        self.body = body  # an expression node, or a tuple of statements (kind "def")
        self.defaults = defaults
        self.closure = closure
        self.locals = locals  # the names a def's body binds: its local variables
        self.globals = globals  # the names its `global` statements declare
        self.source = source  # (text, filename) where it was defined, for diagnostics
        self.kind = kind  # "expression" (f(x) = ...), "lambda" or "def"

    def __repr__(self) -> str:  # for debugging; users see render's text
        return f"<function {self.name}>"


class GradFunction:
    """`grad(f)`: a function returning the gradient of f (a scalar) at its arguments."""

    __slots__ = ("function", "argnums")

    def __init__(self, function: object, argnums: int | tuple[int, ...] = 0):
        self.function = function
        self.argnums = argnums

    @property
    def name(self) -> str:
        return f"grad({getattr(self.function, 'name', 'f')})"

    def __repr__(self) -> str:
        return f"<function {self.name}>"


class Namespace(_ImportedOnFirstRead):
    """`torch`, `torch.linalg`: a read-only table of names. Given a Later, `members` is
    imported when first read, as a Builtin's function is (`import numpy as np` and the
    first `np.` import tcalc.numpy_module, not tcalc's start)."""

    __slots__ = ("name", "members")
    _lazy_slot = "members"

    def __init__(self, name: str, members):
        self.name = name
        if type(members) is Later:
            self._later = members
        else:
            self.members = members

    def __repr__(self) -> str:
        return f"<module '{self.name}'>"


class Generator:
    """A torch.Generator: the default one (which torch.manual_seed returns) or one of the
    program's own. `bits` is its state and ways of drawing (ops.cpu_generator)."""

    __slots__ = ("bits",)

    def __init__(self, bits):
        self.bits = bits

    def __repr__(self) -> str:  # as Jupyter shows it
        return f"<torch._C.Generator at {id(self):#x}>"

    def python_repr(self) -> str:  # as print() and repr() write it
        return f"<torch._C.Generator object at {id(self):#x}>"

CALLABLES = (Builtin, BoundMethod, UserFunction, GradFunction)


class ReturnTypes(tuple):
    """PyTorch's named result of max/min/sort/...: a tuple (so it unpacks and indexes)
    whose items also have names (`.values`, `.indices`).

    ReturnTypes("max", [("values", v), ("indices", i)]), or with a dict of the fields.
    """

    def __new__(cls, name: str, fields):
        pairs = list(dict(fields).items())
        self = super().__new__(cls, [value for _, value in pairs])
        self.name = name
        self._fields = tuple(key for key, _ in pairs)
        return self

    def __getattr__(self, key):
        fields = self.__dict__.get("_fields", ())
        if key in fields:
            return self[fields.index(key)]
        raise AttributeError(key)

    def __repr__(self) -> str:  # for debugging; users see render's text
        from .printing import return_types_repr

        return return_types_repr(self, repr)


def type_name(value) -> str:
    """The type as a PyTorch user would name it, for error messages."""
    if type(value) is Tensor:
        return "Tensor"
    if isinstance(value, Size):
        return "torch.Size"
    if isinstance(value, dtypes.DType):
        return "torch.dtype"
    if isinstance(value, np.ndarray):
        return "numpy.ndarray"
    if isinstance(value, CALLABLES):
        return "function"
    if isinstance(value, Namespace):
        return "module"
    if isinstance(value, Node):
        return value.name
    if value is None:
        return "NoneType"
    return type(value).__name__


class ContextManager:
    """A value a `with` statement can enter: enter() on the way in (its result is what
    `as` binds), exit() on the way out, whether the block ended normally or not."""

    __slots__ = ()

    def enter(self):
        return None

    def exit(self) -> None:
        pass


class GradMode(ContextManager):
    """torch.no_grad(), torch.enable_grad(), torch.inference_mode(): the block runs with
    gradients recorded or not, and the mode before it comes back at its end.
    torch.set_grad_enabled(flag) changes the mode when it is called, so that it works as a
    plain call too; as a context it restores the mode at the end of the block."""

    __slots__ = ("name", "enabled", "_saved")

    def __init__(self, name: str, enabled: bool, now: bool = False):
        self.name = name
        self.enabled = enabled
        self._saved = None  # the mode before this one, while it is in force
        if now:
            self._switch()

    def _switch(self) -> None:
        self._saved = autograd.is_grad_enabled()
        autograd.set_grad_enabled(self.enabled)

    def enter(self):
        if self._saved is None:
            self._switch()
        return None

    def exit(self) -> None:
        if self._saved is not None:
            saved, self._saved = self._saved, None
            autograd.set_grad_enabled(saved)

    def __repr__(self) -> str:  # as Jupyter shows torch's
        if self.name == "set_grad_enabled":
            return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.enabled})"
        return f"<torch.autograd.grad_mode.{self.name} at {id(self):#x}>"


# ---- torch.func: functions made from functions (tcalc.functional) ---------------------------

class Transformed(GradFunction):
    """`jacrev(f)`, `vmap(f, in_dims=1)`, `grad_and_value(f)`: the transform `kind` of the
    language function `function`, with its options. Called like grad(f), through
    differentiate.call_grad_function, which hands it to tcalc.functional."""

    __slots__ = ("kind", "options")

    def __init__(self, kind: str, function: object, **options):
        super().__init__(function, options.get("argnums", 0))
        self.kind = kind
        self.options = options

    @property
    def name(self) -> str:
        return f"{self.kind}({getattr(self.function, 'name', 'f')})"


class Closure(Builtin):
    """A function tcalc made at run time around Python state (the vjp_fn that vjp returns),
    shown as Jupyter shows PyTorch's own (`shown`: the text inside `<function ...>`)."""

    __slots__ = ("shown",)

    def __init__(self, name: str, function: Callable, shown: str):
        super().__init__(name, function)
        self.shown = shown

    def __repr__(self) -> str:
        return f"<function {self.shown}>"


class GraphDrawing:
    """`graph(y)`: y's autograd graph as a tree to draw (tcalc.graph builds it and turns it
    into text, a rich Tree or DOT). `parts` is the node's label as (text, style) pieces;
    `key` identifies a graph node reached by several paths, and `reference` marks the
    places after the first, where the drawing refers to it instead of drawing it again."""

    __slots__ = ("parts", "children", "key", "reference")

    def __init__(self, parts: list, children: list, key: int | None = None, reference: bool = False):
        self.parts = parts
        self.children = children
        self.key = key
        self.reference = reference


class SessionBuiltin(GradFunction):
    """A builtin that reads the session's variables: graph(y) names the tensors it draws.
    The evaluator calls every GradFunction through differentiate.call_grad_function, with
    its own `call`; that is how this one reaches the variables without an evaluator change.
    `function(args, kwargs, variables)` does the work."""

    __slots__ = ("builtin_name",)

    def __init__(self, name: str, function: Callable):
        super().__init__(function)
        self.builtin_name = name

    @property
    def name(self) -> str:
        return self.builtin_name

    def __repr__(self) -> str:
        return f"<function tcalc.{self.builtin_name}>"


class AccumulateGrad:
    """The node at a leaf of the graph (in grad_fn.next_functions): backward adds the
    gradient that reaches it into `variable.grad`."""

    __slots__ = ("variable", "__weakref__")
    name = "AccumulateGrad"

    def __init__(self, variable: Tensor):
        self.variable = variable

    def __repr__(self) -> str:  # as Jupyter shows a grad_fn
        return f"<AccumulateGrad at {id(self):#x}>"


class RemovableHandle:
    """What x.register_hook(f) returns: handle.remove() takes the hook away again."""

    __slots__ = ("remove",)

    def __init__(self, remove: Callable[[], None]):
        self.remove = remove

    def __repr__(self) -> str:  # as Jupyter shows PyTorch's
        return f"<torch.utils.hooks.RemovableHandle at {id(self):#x}>"
