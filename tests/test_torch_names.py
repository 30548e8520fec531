"""A name PyTorch has and tcalc lacks is refused as such, not met with a did-you-mean to an
unrelated name; the list of PyTorch's names is read only when a name is missing."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_program


@pytest.mark.parametrize("source, kind, message", [
    ("torch.fft.fft(ones(4))", "name error", "torch.fft is PyTorch's, and tcalc does not have it yet"),
    ("x = ones(8)\nx.stft(4)", "name error", "Tensor.stft is PyTorch's, and tcalc does not have it yet"),
    ("import torch.nn.functional as F\nF.conv_transpose3d(ones(1, 1, 2, 2, 2), ones(1, 1, 2, 2, 2))",
     "name error", "torch.nn.functional.conv_transpose3d is PyTorch's, and tcalc does not have it yet"),
    ("stft(ones(8), 4)", "name error", "torch.stft is PyTorch's, and tcalc does not have it yet"),
    ("from torch import nn\nnn.Linear(2, 3)", "name error",
     "torch.nn.Linear is PyTorch's, and tcalc does not have it yet"),
    ("import torch.fft", "import error", "torch.fft is PyTorch's, and tcalc does not have it yet"),
    ("from torch import fft", "import error", "torch.fft is PyTorch's, and tcalc does not have it yet"),
    ("from torch.nn.functional import conv_transpose3d", "import error",
     "torch.nn.functional.conv_transpose3d is PyTorch's, and tcalc does not have it yet"),
    ("torch.special.airy_ai(ones(2))", "name error",
     "torch.special.airy_ai is PyTorch's, and tcalc does not have it yet"),
    ("from torch import special\nspecial.gammainc(ones(2), ones(2))", "name error",
     "torch.special.gammainc is PyTorch's, and tcalc does not have it yet"),
    ("from torch.special import bessel_j0", "import error",
     "torch.special.bessel_j0 is PyTorch's, and tcalc does not have it yet"),
])
def test_a_name_only_pytorch_has_is_refused_as_such(source, kind, message):
    printed, error = run_program(source)
    assert error is not None and error.kind == kind, error
    assert error.message == message
    assert error.hint is None
    assert error.span is not None


@pytest.mark.parametrize("source, message, hint", [
    ("x = ones(3)\nx.sumn()", "'Tensor' object has no attribute 'sumn'", "did you mean 'sum'?"),
    ("torch.sinn(1.0)", "module 'torch' has no attribute 'sinn'", "did you mean 'sin' or 'sinh'?"),
    ("sinn(1.0)", "name 'sinn' is not defined", "did you mean 'sin' or 'sinh'?"),
    ("import torch.nn.functional as F\nF.rellu", "module 'torch.nn.functional' has no attribute "
     "'rellu'", "did you mean 'relu' or 'relu6'?"),
    ("import torch.fftt", "No module named 'torch.fftt'", None),
])
def test_a_typo_still_gets_did_you_mean(source, message, hint):
    printed, error = run_program(source)
    assert error is not None and error.message == message, error
    if hint is not None:
        assert error.hint == hint


def test_the_list_is_read_only_when_a_name_is_missing():
    # In a fresh process: the test run has long since loaded it.
    program = (
        "import sys\n"
        "from tcalc.evaluator import Session\n"
        "session = Session()\n"
        "list(session.run('x = ones(3)\\nimport torch.nn.functional as F\\nF.relu(x).sum()'))\n"
        "assert 'tcalc.torch_names' not in sys.modules, 'read at start-up'\n"
        "try:\n"
        "    list(session.run('x.stft(4)'))\n"
        "except Exception:\n"
        "    pass\n"
        "assert 'tcalc.torch_names' in sys.modules, 'not read on a miss'\n"
    )
    subprocess.run([sys.executable, "-c", program], check=True, timeout=120)


def test_the_list_ships_inside_the_package():
    from tcalc import torch_names

    assert torch_names.pytorch_has("torch.fft.fft") and torch_names.pytorch_has("Tensor.stft")
    assert not torch_names.pytorch_has("torch.os") and not torch_names.pytorch_has("torch.sinn")
