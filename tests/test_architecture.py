"""Imports flow one way, down the layers README.md's "How it is built" draws:
the front ends (cli, repl, output, render) -> the evaluator -> the language's plumbing
(parser, calling convention, modules) -> the builtin table and Python's values -> the
values of the vocabulary -> ops -> value types -> autograd -> tensor -> dtypes -> errors.

A module may import its own layer or a lower one. The one deliberate upward link is the
Tensor's operator methods (`a + b` in Python code) calling the ops, said so in tensor.py.
"""
from __future__ import annotations

import ast
from pathlib import Path

import tcalc

PACKAGE = Path(tcalc.__file__).parent

LAYERS = [
    {"errors", "limits", "files", "shape_hints", "printing", "_lalr", "_grammar_tables", "ast", "torch_names"},
    {"dtypes"},
    {"tensor"},
    {"autograd", "hints"},
    {"values", "display"},
    {"ops"},
    {"objects", "devices", "type_values", "distributions", "nn_functional", "numpy_module", "differentiate",
     "serialization", "numpy_files", "text_files", "plots", "summary", "functional",
     "batching", "batched"},
    {"python_values", "builtins", "graph"},
    {"calling", "fast_path", "modules", "numpy_operands", "journal", "to_ast", "syntax_errors", "_table_builder", "parser"},
    {"evaluator"},
    {"render", "output"},
    {"repl", "cli", "__main__", "__init__", "shell_input", "completion", "shell_commands", "shell_history", "lexer",
     "transcripts", "ipython"},
]
DELIBERATE = {("tensor", "ops")}


def _layer(module: str) -> int:
    top = module.split(".")[0]
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"tcalc.{module} is in no layer of tests/test_architecture.py: place it")


def _imports(path: Path) -> set[str]:
    """The tcalc modules a file imports, at the top or inside functions."""
    relative = path.relative_to(PACKAGE).with_suffix("")
    package = list(relative.parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            if node.module:
                found.add(".".join(base + [node.module]))
            else:
                found.update(".".join(base + [alias.name]) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name[len("tcalc."):] for alias in node.names if alias.name.startswith("tcalc."))
    return {name for name in found if name and name != "__version__"}


def test_imports_flow_down_the_layers():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for imported in _imports(path):
            if _layer(imported) > _layer(module) and (module.split(".")[0], imported.split(".")[0]) not in DELIBERATE:
                upward.append(f"tcalc.{module} imports tcalc.{imported}")
    assert not upward, "imports that run back up:\n" + "\n".join(upward)


def test_every_module_has_a_layer():
    for path in PACKAGE.rglob("*.py"):
        _layer(".".join(path.relative_to(PACKAGE).with_suffix("").parts))
