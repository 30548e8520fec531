"""Start-up imports what every session needs; the other ops modules (tcalc.ops' _LATER,
the losses and convolutions of torch.nn.functional), torch.func's transforms
(tcalc.functional), vmap's rules (tcalc.batching), torch.nn.functional, torch.distributions,
torch.device and torch.cuda, the numpy a program imports, graph() and import statements are
imported when a program first uses them, and behave the same as if they had been there all
along."""
from __future__ import annotations

import os
import subprocess
import sys
from ast import literal_eval
from importlib import import_module
from pathlib import Path
from types import ModuleType

from tcalc import builtins, ops
from tcalc.values import Builtin, Later, Namespace

ROOT = Path(__file__).resolve().parent.parent
LATER_MODULES = sorted({*(f"ops.{m}" for m in {*ops._LATER.values(), "losses", "convolution", "out", "tie_order"}),
                        "functional", "distributions", "devices", "numpy_module", "graph", "modules", "batching",
                        "nn_functional"})


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


def test_a_one_line_run_imports_no_signal_module():
    """cli sets its SIGTERM handler through _signal: `import signal` builds enums of every
    signal name, a few million instructions of start-up."""
    code = "import sys\nfrom tcalc.cli import main\ntry:\n    main()\nfinally:\n    print('signal' in sys.modules)"
    done = _tcalc("-e", "1 + 1", code=code)
    assert done.stdout == "2\nFalse\n", done.stdout + done.stderr


def test_the_imports_are_frozen_for_the_collector():
    """cli imports tcalc with the cyclic collector paused, then freezes what exists and
    resumes it: the collector runs again, and does not walk the imports."""
    code = ("import gc, sys\nfrom tcalc.cli import main\ntry:\n    main()\nfinally:\n"
            "    print(gc.isenabled(), gc.get_freeze_count() > 10000)")
    done = _tcalc("-e", "1 + 1", code=code)
    assert done.stdout == "2\nTrue True\n", done.stdout + done.stderr


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


def test_the_later_vocabulary_works_when_first_used():
    """In a fresh process: a distribution, devices and torch.cuda, the numpy a program
    imports (a dtype of it as dtype=, a file function), import statements, graph() and
    grad_fn.next_functions, vmap, torch.nn.functional, norm and cat, each the first use of its
    module. They answer as PyTorch does,
    and as they do in a process that imported their modules first."""
    program = ("torch.manual_seed(0);\n"
               "torch.distributions.Normal(tensor([0., 1.]), 1.).mean\n"
               "from torch.distributions.bernoulli import Bernoulli\nBernoulli(0.25).probs\n"
               "x = ones(2, requires_grad=True)\nx.device\ntorch.device('cuda', 1)\n"
               "torch.cuda.is_available(), torch.cuda.device_count()\n"
               "torch.Generator().device\n"
               "import numpy as np\nzeros(2, dtype=np.float64)\ntorch.from_numpy(np.arange(3))\n"
               "y = (x * 3).sum()\nlen(y.grad_fn.next_functions)\ngraph(y)\n"
               "m = tensor([[3., 4.], [0., 1.]])\ntorch.vmap(lambda r: r.norm())(m)\n"
               "import torch.nn.functional as F\nF.cosine_similarity(m, m)\ntorch.cat([m, m]).shape\n")
    done = _tcalc("-e", program)
    assert done.stdout.startswith("tensor([0., 1.])\ntensor(0.2500)\ndevice(type='cpu')\n"
                                  "device(type='cuda', index=1)\n(False, 0)\ndevice(type='cpu')\n"
                                  "tensor([0., 0.], dtype=torch.float64)\ntensor([0, 1, 2])\n1\n"), done.stdout + done.stderr
    assert done.stdout.endswith("tensor([5., 1.])\ntensor([1., 1.])\ntorch.Size([4, 2])\n"), done.stdout
    eager = ("import tcalc.distributions, tcalc.devices, tcalc.numpy_module, tcalc.graph, tcalc.modules, "
             "tcalc.batching, tcalc.nn_functional, tcalc.ops.norms, tcalc.ops.joining\n")
    assert _tcalc("-e", program, code=eager + "from tcalc.cli import main\nmain()").stdout == done.stdout


def test_a_later_namespace_imports_its_members_once():
    numpy = builtins.MODULES["numpy"]
    members = numpy.members
    assert members is import_module("tcalc.numpy_module").MEMBERS
    assert numpy.members is members and "float32" in members
    assert builtins.TORCH_ONLY["distributions"].members["normal"] is builtins.MODULES["torch.distributions.normal"]


def test_every_later_attribute_imports_a_function():
    """x.device, a generator's .device, grad_fn.next_functions, graph(): Laters called
    each time (their tables keep them as they are), each naming a function."""
    laters = [entry for table in (builtins.ATTRIBUTES, *builtins.OBJECT_ATTRIBUTES.values())
              for entry in table.values() if type(entry) is Later]
    laters.append(builtins.FUNCTIONS["graph"].function)
    assert len(laters) >= 4
    for later in laters:
        function = later.resolve()
        assert callable(function) and type(function) is not Later and not isinstance(function, ModuleType), later.name


def _entries():
    namespaces = [builtins.torch_namespace(), *builtins.MODULES.values()]
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
