"""The shell's own commands (`help`, `help(name)`, `name?`, `who`, `vars()`, `exit`), and
what they show: a builtin's signature and description from its table entry, a table of
the user's variables. Names are looked up in the session's tables, a dotted name one dict
at a time: nothing the user typed is evaluated.
"""
from __future__ import annotations

import inspect
import re

from . import builtins
from .tensor import Tensor
from .values import BoundMethod, Builtin, Namespace, ReturnTypes, UserFunction, type_name

EXIT = ("exit", "quit", "exit()", "quit()")
VARIABLES = ("who", "vars", "who()", "vars()", "whos")
RESULTS = ("_", "__", "___")  # the last values shown, as in IPython

_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_HELP = re.compile(rf"help\(\s*({_DOTTED})\s*\)|({_DOTTED})\s*\?")

TOPICS = """\
tcalc's shell: type a statement and Enter; a block (for, if, def, with) ends with an empty line.

  help(name), name?    a function's signature and what it does: help(sum), x.mean?, torch.linalg?
  who, vars()          your variables with their type, shape, dtype and requires_grad
  _, __, ___           the last three values shown
  clear                forget every variable (after asking) and start afresh
  exit, quit, Ctrl-D   leave (Ctrl-C abandons the line being typed, or stops a running statement)

Keys: Tab completes names, methods after `x.`, keyword arguments in a call, keys after `d[`;
Up searches the history for what is typed; Ctrl-R searches it anywhere; Right takes the grey
suggestion from history. A statement that fails changes nothing; the ones before it on the
line stay done.
The language: Python's syntax, PyTorch's names (torch.NAME or the bare NAME)."""


def command(text: str, names: dict) -> tuple[str, str | None] | None:
    """The shell command `text` is, as (command, argument), or None for a program. A name
    the user has bound (`who = 3`) is the variable, not the command."""
    line = text.strip()
    bare = line.rstrip("()")
    if bare in names and not _is_builtin(bare, names):
        return None
    if line in EXIT:
        return ("exit", None)
    if line in VARIABLES:
        return ("who", None)
    if line in ("clear", "clear()"):
        return ("clear", None)
    if line in ("help", "help()"):
        return ("help", None)
    match = _HELP.fullmatch(line)
    if match:
        return ("help", match.group(1) or match.group(2))
    return None


def _is_builtin(name: str, names: dict) -> bool:
    return names.get(name) is builtins.FUNCTIONS.get(name, _MISSING)


_MISSING = object()


# ---- looking names up -------------------------------------------------------------------

def lookup(path: str, names: dict):
    """What a dotted name is, walking the session's tables (a variable, a namespace's
    members, a tensor's methods), or None. Never calls or evaluates anything."""
    head, *rest = path.split(".")
    value = names.get(head)
    for part in rest:
        value = member(value, part)
        if value is None:
            return None
    return value


def member(value, name: str):
    """`value.name` as a table lookup: a namespace member, a tensor method (bound to it), a
    field of torch.return_types; None for the rest (reading a tensor's attribute would compute it)."""
    if type(value) is Namespace:
        return value.members.get(name)
    if type(value) is Tensor and name in builtins.METHODS:
        return BoundMethod(builtins.METHODS[name], value)
    if type(value) is ReturnTypes and name in value._fields:  # max(dim=...).values: stored, not computed
        return value[value._fields.index(name)]
    return None


def members(value) -> dict[str, str]:
    """The names after `value.`, each with what it is (for the completion menu)."""
    from .python_values import METHODS as PYTHON_METHODS

    if type(value) is Namespace:
        return {name: "" for name in value.members if not name.startswith("_")}
    if type(value) is Tensor:
        return {**{name: "attribute" for name in builtins.ATTRIBUTES}, **{name: "method" for name in builtins.METHODS}}
    if type(value) is ReturnTypes:
        return {name: "field" for name in value._fields}
    methods = PYTHON_METHODS.get(type(value))
    return {name: f"{type(value).__name__} method" for name in methods} if methods else {}


# ---- signatures and help ----------------------------------------------------------------

def signature(entry, name: str | None = None) -> str | None:
    """`name(params)` of a callable value, one line, or None if it is not one."""
    if isinstance(entry, BoundMethod):
        return _builtin_signature(name or entry.name, entry.function, skip_first=True)
    if isinstance(entry, Builtin):
        return _builtin_signature(name or entry.name, entry.function, skip_first=False)
    if isinstance(entry, UserFunction):
        return f"{name or entry.name}({', '.join(_user_params(entry))})"
    return None


def parameters(entry) -> list[str]:
    """The keyword arguments a call of `entry` accepts, in order."""
    if isinstance(entry, UserFunction):
        return [p.split("=")[0] for p in _user_params(entry) if not p.startswith("*")]
    function = getattr(entry, "function", None)
    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    if isinstance(entry, BoundMethod):
        params = params[1:]
    keywords = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in params if p.kind in keywords]


def _builtin_signature(name: str, function, skip_first: bool) -> str:
    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a C function without a signature (id)
        return f"{name}(...)"
    if skip_first:
        params = params[1:]
    shown, keyword_only = [], False
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not keyword_only:
            shown.append("*")
            keyword_only = True
        if p.kind is p.VAR_POSITIONAL:
            shown.append("*" + p.name)
            keyword_only = True
        elif p.kind is p.VAR_KEYWORD:
            shown.append("**" + p.name)
        elif p.default is p.empty or not _plain(p.default):  # a private sentinel: required
            shown.append(p.name)
        else:
            shown.append(f"{p.name}={p.default!r}")
    return f"{name}({', '.join(shown)})"


def _plain(value) -> bool:
    return value is None or type(value) in (bool, int, float, str) or \
        (type(value) is tuple and all(_plain(v) for v in value))


def _user_params(function: UserFunction) -> list[str]:
    out = []
    for i, param in enumerate(function.params):
        if isinstance(param, str):
            out.append(param)
            continue
        if param.kind:
            out.append(param.kind + param.name)
        elif param.default is not None:
            out.append(f"{param.name}=...")
        else:
            out.append(param.name)
    return out


def help_text(path: str | None, names: dict) -> str:
    if path is None:
        return TOPICS
    value = lookup(path, names)
    if value is None:
        return _unknown(path, names)
    last = path.rsplit(".", 1)[-1]
    if isinstance(value, BoundMethod):
        return "\n".join(filter(None, [f"Tensor.{signature(value, last)}",
                                       _description(value.function, _where(last, method=True), value.method),
                                       _documentation(f"torch.Tensor.{last}"), example_text(last)]))
    if isinstance(value, Builtin):
        where = _where(last, method=False) if value is builtins.FUNCTIONS.get(last) else \
            f"a function of {path.rsplit('.', 1)[0]}" if "." in path else "a function"
        example = example_text(last) if value is builtins.FUNCTIONS.get(last) else None
        return "\n".join(filter(None, [signature(value, path), _description(value.function, where, value),
                                       _documentation(_torch_path(path, value)), example]))
    if isinstance(value, UserFunction):
        return f"{signature(value, path)}\n  your function, defined in this session"
    if isinstance(value, Namespace):
        listed = ", ".join(sorted(n for n in value.members if not n.startswith("_")))
        return f"module {value.name}: {listed}"
    return f"{path}: {describe(value)}"


def _torch_path(path: str, value) -> str | None:
    """The name PyTorch documents the builtin under (torch.sum, torch.func.grad,
    torch.nn.functional.relu), or None for a name of tcalc's own (show, plot) or Python's."""
    last = path.rsplit(".", 1)[-1]
    if path.startswith("torch."):
        return path
    if last in builtins.PYTHON_ONLY or builtins.FUNCTIONS.get(last) is not value:
        return None
    if last in builtins.FUNC.members:
        return f"torch.func.{last}"
    return f"torch.{last}"


def _documentation(name: str | None) -> str | None:
    """The link text of PyTorch's page for `name`."""
    if name is None:
        return None
    return f"  PyTorch's documentation: {name} (pytorch.org/docs/stable/generated/{name}.html)"


def _unknown(path: str, names: dict) -> str:
    last = path.rsplit(".", 1)[-1]
    if "." in path and last in builtins.METHODS:
        return help_text(f"x.{last}", {"x": _ANY_TENSOR})
    if "." in path and last in builtins.ATTRIBUTES:
        settable = ", settable (x.{0} = ...)".format(last) if last in builtins.SETTABLE else ""
        return f"Tensor.{last}\n  a tensor attribute: x.{last}{settable}"
    return f"no help for {path!r}: not a name of this session (help lists the topics)"


def _any_tensor():
    import numpy as np

    return Tensor(np.zeros(()))


_ANY_TENSOR = _any_tensor()


def _where(name: str, method: bool) -> str:
    function, is_method = name in builtins.FUNCTIONS, name in builtins.METHODS
    if function and is_method:
        return f"a function, torch.{name}(x, ...), and a tensor method, x.{name}(...)"
    if is_method or method:
        return f"a tensor method: x.{name}(...)"
    return "a function"


def _description(function, where: str, entry) -> str:
    lines = [f"  {where}"]
    doc = (getattr(function, "__doc__", None) or "").strip()
    first = " ".join(doc.split("\n\n")[0].split()).split(". ")[0].rstrip(".")
    # tcalc's own docstring, when it speaks of the function to its user (not NumPy's words,
    # not notes on the implementation)
    if (getattr(function, "__module__", None) or "").startswith("tcalc") and entry.name in first \
            and not first.startswith("The "):
        lines.append("  " + first)
    effect = {"contents": "changes its tensor in place", "flags": "changes the tensor's autograd flags",
              "backward": "runs backward through the graph", "output": "writes text"}.get(entry.effect)
    if effect:
        lines.append(f"  {effect}")
    return "\n".join(lines)


# ---- examples ---------------------------------------------------------------------------

# One line each, run in a fresh session when help shows it. Each is a line of the golden
# program tests/golden/shell/help-examples.tc, so what help shows is what PyTorch printed.
EXAMPLES = {
    "tensor": "torch.tensor([[1, 2], [3, 4]])",
    "arange": "torch.arange(0, 10, 3)",
    "linspace": "torch.linspace(0, 1, 5)",
    "zeros": "torch.zeros(2, 3)",
    "ones": "torch.ones(2, dtype=torch.int64)",
    "reshape": "torch.arange(6).reshape(2, 3)",
    "unsqueeze": "torch.tensor([1, 2]).unsqueeze(1)",
    "cat": "torch.cat([torch.zeros(2), torch.ones(2)])",
    "stack": "torch.stack([torch.zeros(2), torch.ones(2)])",
    "sum": "torch.sum(torch.tensor([[1., 2.], [3., 4.]]), dim=0)",
    "mean": "torch.tensor([1., 2., 3., 4.]).mean()",
    "max": "torch.max(torch.tensor([[1, 5], [7, 2]]), dim=1)",
    "matmul": "torch.matmul(torch.ones(2, 3), torch.ones(3))",
    "softmax": "torch.softmax(torch.tensor([1., 2., 3.]), dim=0)",
    "where": "torch.where(torch.tensor([1., -2.]) > 0, 1.0, 0.0)",
}


def example_text(name: str) -> str | None:
    """`>>> example` and what it shows, run in a session of its own."""
    program = EXAMPLES.get(name)
    if program is None:
        return None
    from .evaluator import Session
    from .render import value_text

    shown = [value_text(value) for value in Session().run(program)]
    lines = [f"    >>> {program}"] + [f"    {line}" for value in shown for line in value.splitlines()]
    return "  example:\n" + "\n".join(lines)


# ---- the user's variables ---------------------------------------------------------------

def describe(value) -> str:
    """A variable's type, shape, dtype and requires_grad, in a few words."""
    if type(value) is Tensor:
        shape = "(" + ", ".join(map(str, value.shape)) + ("," if len(value.shape) == 1 else "") + ")"
        grad = ", requires_grad" if value.requires_grad else ""
        return f"Tensor {shape} {value.dtype.name}{grad}"
    if isinstance(value, (list, tuple, dict, set, str)):
        n, unit = len(value), "character" if isinstance(value, str) else "item"
        return f"{type(value).__name__}, {n} {unit}{'' if n == 1 else 's'}"
    return type_name(value)


def variables_table(variables: dict) -> str:
    if not variables:
        return "no variables yet"
    rows = [("name", "type", "shape", "dtype", "grad", "memory")]
    for name, value in variables.items():
        if type(value) is Tensor:
            rows.append((name, "Tensor", "(" + ", ".join(map(str, value.shape)) + ")", value.dtype.name,
                         "requires_grad" if value.requires_grad else "", _bytes(value.data.nbytes)))
        else:
            rows.append((name, describe(value), "", "", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _bytes(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
