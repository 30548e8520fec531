"""Start-up imports what every session needs; the other ops modules (tcalc.ops' _LATER,
the losses and convolutions of torch.nn.functional) and torch.func's transforms
(tcalc.functional) are imported when a program first calls one of their functions, and
behave the same as if they had been there all along."""
from __future__ import annotations

import os
import subprocess
import sys
from ast import literal_eval
from importlib import import_module
from pathlib import Path
from types import ModuleType

from tcalc import builtins, nn_functional, ops
from tcalc.values import Builtin, Later, Namespace

ROOT = Path(__file__).resolve().parent.parent
LATER_MODULES = sorted({*(f"ops.{m}" for m in {*ops._LATER.values(), "losses", "convolution", "out", "tie_order"}),
                        "functional"})


def _tcalc(*args: str, code: str = "from tcalc.cli import main\nmain()") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_a_one_line_run_imports_none_of_them():
    code = ("import sys\nfrom tcalc.cli import main\n"
            "try:\n    main()\nfinally:\n"
            "    print(sorted(m for m in sys.modules if m.startswith('tcalc.')))")
    done = _tcalc("-e", "x = arange(12).reshape(3, 4); x.sum(axis=0) * 2 + 1", code=code)
    printed, imported = done.stdout.rsplit("\n", 2)[:2]
    assert printed == "tensor([25, 31, 37, 43])", done.stdout + done.stderr
    assert not {f"tcalc.{module}" for module in LATER_MODULES} & set(literal_eval(imported))


def test_their_functions_work_when_first_called():
    """In a fresh process, each call below is the first of its module (selection,
    losses, scans, linalg's decompositions, torch.func); the results are PyTorch's."""
    program = ("x = arange(5.)\nx.flip(0)\ntorch.nn.functional.mse_loss(x, x.flip(0))\nx.cumprod(0)\n"
               "torch.linalg.svd(tensor([[3., 0], [0, 4]])).S\ntorch.func.grad(lambda x: (x ** 2).sum())(x)\n")
    done = _tcalc("-e", program)
    assert done.stdout == ("tensor([4., 3., 2., 1., 0.])\ntensor(8.)\ntensor([0., 0., 0., 0., 0.])\n"
                           "tensor([4., 3.])\ntensor([0., 2., 4., 6., 8.])\n"), done.stderr


def test_each_later_name_is_its_modules_own_function():
    """`ops.NAME` is the function of NAME's module, never the module itself (the import
    system sets a submodule as an attribute of its package: a function named as its
    module must be imported at start, as einsum and softmax are)."""
    for name, module in ops._LATER.items():
        value = getattr(ops, name)
        assert not isinstance(value, ModuleType), name
        assert value is getattr(import_module(f"tcalc.ops.{module}"), name), name
    assert not set(ops._LATER) & {m.split(".")[-1] for m in LATER_MODULES}


def _entries():
    namespaces = [builtins.torch_namespace(), *builtins.MODULES.values(), nn_functional.FUNCTIONAL]
    for table in (builtins.FUNCTIONS, builtins.METHODS, *(n.members for n in namespaces)):
        for name, entry in table.items():
            if isinstance(entry, Builtin):
                yield name, entry


def test_every_table_entry_imports_a_function():
    for name, entry in _entries():
        function = entry.function
        assert callable(function) and type(function) is not Later and not isinstance(function, ModuleType), name
        assert entry.function is function  # imported once, then kept
    assert all(isinstance(n, Namespace) for n in builtins.MODULES.values())
