"""Record what PyTorch prints for each golden program: tests/golden/**/*.tc -> .out (and .err).

Run with a Python that has torch 2.13 and IPython (never in the test suite):

    python tests/record/record_golden.py [tests/golden/some/file.tc ...]

Each statement of a .tc program runs in a namespace like a notebook after
`from torch import *`, with tcalc's few extra spellings (f(x) = expr, grad(f), grad(y, x)).
An expression statement that is not ended by ';' and is not None prints as IPython's
pretty() shows it. When PyTorch raises, the statement's line goes into NAME.err and the
program stops, so the test checks that tcalc refuses the same statement.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import io
import math
import re
import sys
from pathlib import Path

import torch
from IPython.lib.pretty import pretty

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
GOLDEN_IMPORTS = GOLDEN.parent / "golden_imports"  # programs that import numpy & co.
FUNCTION_DEF = re.compile(r"^(\s*)([^\W\d]\w*)\(([^()=]*)\)\s*=(?!=)(.*)$")


PYTHON_NAMES = {"range", "print", "str", "list", "dict", "set", "tuple", "type", "isinstance", "zip",
                "enumerate", "map", "filter", "sorted", "reversed", "format", "repr", "len", "divmod",
                "callable"}


def namespace() -> dict:
    # torch's names, as after `from torch import *`, except where a notebook's name is
    # Python's own (torch.range is not range).
    ns = {name: getattr(torch, name) for name in dir(torch)
          if not name.startswith("_") and name not in PYTHON_NAMES}
    ns.update(torch=torch, float=builtins.float, int=builtins.int, bool=builtins.bool,
              len=builtins.len, id=builtins.id, pow=torch.pow,
              pi=math.pi, e=math.e, inf=math.inf, nan=math.nan, grad=grad)
    # torch.func's transforms, which tcalc has under their bare names too.
    ns.update({name: getattr(torch.func, name)
               for name in ("grad_and_value", "jacrev", "jacfwd", "hessian", "vmap", "vjp", "jvp")})
    ns.update(gradcheck=torch.autograd.gradcheck, gradgradcheck=torch.autograd.gradgradcheck)
    # PyTorch's on a tensor, Python's on anything else (LANGUAGE.md, "Names").
    for name in ("abs", "sum", "max", "min", "round", "all", "any"):
        ns[name] = _torch_or_python(getattr(torch, name), getattr(builtins, name))
    return ns


def _torch_or_python(torch_function, python_function):
    def call(*args, **kwargs):
        if args and isinstance(args[0], torch.Tensor):
            return torch_function(*args, **kwargs)
        return python_function(*args, **kwargs)

    return call


def grad(outputs, inputs=None, **kwargs):
    """tcalc's grad: grad(f) is torch.func.grad(f); grad(y, x) is dy/dx."""
    if callable(outputs):
        return torch.func.grad(outputs, **kwargs)
    many = isinstance(inputs, (tuple, list))
    result = torch.autograd.grad(outputs, inputs, **kwargs)
    return result if many else result[0]


def to_python(source: str) -> str:
    """tcalc's `f(x, y) = expr` as a Python def; the rest is already Python."""
    lines = []
    for line in source.split("\n"):
        m = FUNCTION_DEF.match(line)
        if line.lstrip().startswith("%"):  # an IPython magic: Jupyter runs it, and shows nothing
            lines.append(line[:len(line) - len(line.lstrip())] + "pass")
        elif m and not line.lstrip().startswith("#"):
            indent, name, params, body = m.groups()
            body, semi, rest = body.partition(";")
            lines.append(f"{indent}def {name}({params}): return ({body.strip()})"
                         + (";" + rest if semi else ""))
        else:
            lines.append(line)
    return "\n".join(lines)


def ends_with_semicolon(source_lines: list[str], node: ast.stmt) -> bool:
    line = source_lines[node.end_lineno - 1]
    rest = line[node.end_col_offset:]
    return rest.lstrip().startswith(";")


def record(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    python = to_python(source)
    tree = ast.parse(python)
    lines = python.split("\n")
    ns = namespace()
    # torch's print options are global: each program starts from the defaults, as it would
    # in a fresh process, whatever the program before it set.
    torch.set_printoptions(profile="default")
    out = io.StringIO()
    error = None
    for node in tree.body:
        try:
            with contextlib.redirect_stdout(out):  # what print() writes is the program's output
                run_statement(node, ns, lines, out, path)
        except Exception as err:  # PyTorch refused: the test expects tcalc to refuse too
            error = f"line {node.lineno}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            break
    path.with_suffix(".out").write_text(out.getvalue(), encoding="utf-8")
    err_path = path.with_suffix(".err")
    if error:
        err_path.write_text(error + "\n", encoding="utf-8")
    elif err_path.exists():
        err_path.unlink()


def run_statement(node, ns, lines, out, path) -> None:
    """One top-level statement, shown as Jupyter shows it."""
    if isinstance(node, ast.Expr):
        value = eval(compile(ast.Expression(node.value), str(path), "eval"), ns)
        if value is not None and not ends_with_semicolon(lines, node):
            out.write(pretty(value) + "\n")
    else:  # imports too: tests/golden_imports binds `np`, `F`, `multinomial`
        exec(compile(ast.Module([node], []), str(path), "exec"), ns)


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted([*GOLDEN.rglob("*.tc"), *GOLDEN_IMPORTS.rglob("*.tc")])
    torch.set_printoptions(profile="default")
    for path in paths:
        record(path)
        print(f"recorded {path.relative_to(GOLDEN.parent.parent) if path.is_absolute() else path}")


if __name__ == "__main__":
    main(sys.argv[1:])
