"""Record files torch.save writes, and what PyTorch prints after loading them, for
tests/test_serialization.py; and check that PyTorch reads what tcalc's save writes.

Run with a Python that has torch 2.13 and IPython, from the repository (never part of the
test suite):

    python tests/record/record_serialization.py

1. Writes tests/data/torch_saved/NAME.pt with torch.save and tests/data/torch_saved/
   expected.json: for each NAME, the torch expression, the tcalc program that makes the same
   value (`v = ...`, when tcalc has one: the tests check that tcalc's save writes the same
   data.pkl and storages, byte for byte), the expression shown after `v = load(NAME.pt)` and
   the text IPython shows for it (or, for a file tcalc refuses, null).
2. Runs `python -m tcalc` to save values with tcalc, and checks that torch.load (weights_only,
   PyTorch's default, and mmap=True) gives what the same PyTorch expression gives, with the same
   strides and sharing, and that the records are the ones torch.save writes for that value.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import torch
from IPython.lib.pretty import pretty

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recording import torch_namespace  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "data" / "torch_saved"

# What torch.save writes, for tcalc to load: NAME -> (torch expression, tcalc program making
# the same value as v or None, what to show of the loaded v). Each dtype, 0-d, empty, views,
# an expanded tensor, requires_grad, nn.Parameter, containers, a memo past 256 entries,
# dtypes and sizes, pickle protocol 4, dicts (a state_dict); the legacy format, which tcalc
# refuses.
SAVED = {
    "tensors": ("[torch.tensor([True, False]), torch.tensor([0, 255], dtype=torch.uint8), "
                "torch.tensor([-128, 127], dtype=torch.int8), torch.tensor([300, -2], dtype=torch.int16), "
                "torch.tensor([3, -2, 7], dtype=torch.int32), torch.arange(12).reshape(3, 4), "
                "torch.tensor([1.5, -2.0, 65504.0], dtype=torch.float16), "
                "torch.tensor([[1.5, -2.0], [3.25, 0.0]]), torch.tensor(2.5, dtype=torch.float64), "
                "torch.tensor([1., 2.], requires_grad=True)]",
                "v = [tensor([True, False]), tensor([0, 255], dtype=uint8), tensor([-128, 127], dtype=int8), "
                "tensor([300, -2], dtype=int16), tensor([3, -2, 7], dtype=int32), arange(12).reshape(3, 4), "
                "tensor([1.5, -2.0, 65504.0], dtype=float16), tensor([[1.5, -2.0], [3.25, 0.0]]), "
                "tensor(2.5, dtype=float64), tensor([1., 2.], requires_grad=True)]", "v"),
    "views": ("[torch.arange(6.).reshape(2, 3).T, torch.arange(10)[2:8:2], torch.zeros(2, 0)]",
              "v = [arange(6.).reshape(2, 3).T, arange(10)[2:8:2], zeros(2, 0)]", "v"),
    "expanded": ("torch.tensor([1., 2., 3.]).expand(2, 3)", None, "v"),
    "parameter": ("torch.nn.Parameter(torch.ones(2))", None, "v"),
    "containers": ("[torch.ones(2), (1.5, True, None, 'text', 7, -3, 2 ** 40, -2 ** 31 - 1, 2 ** 63, "
                   "-2 ** 64, 'ünï'), [torch.tensor(3)], (), [], (torch.int8,)]",
                   "v = [ones(2), (1.5, True, None, 'text', 7, -3, 2 ** 40, -2 ** 31 - 1, 2 ** 63, "
                   "-2 ** 64, 'ünï'), [tensor(3)], (), [], (int8,)]", "v"),
    "shared": ("(lambda t: [t, t[1:], t])(torch.arange(4.))", "t = arange(4.); v = [t, t[1:], t]",
               "v[0].add_(1), v, id(v[0]) == id(v[2])"),
    "many_views": ("(lambda x: [x[i] for i in range(30)])(torch.arange(30.))",
                   "x = arange(30.); v = [" + ", ".join(f"x[{i}]" for i in range(30)) + "]", "v[-2:], len(v)"),
    "dtypes_and_sizes": ("[torch.int8, torch.float32, torch.Size([2, 3]), torch.bool, torch.Size([])]",
                         "v = [int8, float32, ones(2, 3).shape, torch.bool, tensor(1).shape]", "v"),
    "protocol4": ("[torch.arange(3), 'text', torch.float64, (1, 2.5)]", None, "v"),
    "state_dict": ("{'w': torch.ones(2), 'b': torch.zeros(3, dtype=torch.int32), 'step': 3}",
                   "v = {'w': ones(2), 'b': zeros(3, dtype=int32), 'step': 3}", "v"),
    # A module's state_dict: an OrderedDict with a `_metadata` attribute (pickle's BUILD).
    "module_state_dict": ("torch.nn.Linear(3, 2).state_dict()", None,
                          "list(v.keys()), v['weight'].shape, v['bias'].shape"),
    "legacy": ("torch.ones(2)", None, None),
}
SAVE_OPTIONS = {"protocol4": {"pickle_protocol": 4}, "legacy": {"_use_new_zipfile_serialization": False}}

# What tcalc saves -> the PyTorch expression torch.load must give back for it (the same
# values, dtypes, shapes, strides, requires_grad and sharing); then, when it is the same
# value as torch.save would save, the same data.pkl and storages.
FROM_TCALC = [
    ("v = arange(6.0).reshape(2, 3)", "torch.arange(6.).reshape(2, 3)"),
    ("v = tensor(2.5, dtype=float64)", "torch.tensor(2.5, dtype=torch.float64)"),
    ("v = tensor([1, -2], dtype=int8)", "torch.tensor([1, -2], dtype=torch.int8)"),
    ("v = tensor([7, 0], dtype=uint8)", "torch.tensor([7, 0], dtype=torch.uint8)"),
    ("v = tensor([300, -2], dtype=int16)", "torch.tensor([300, -2], dtype=torch.int16)"),
    ("v = tensor([3, -2], dtype=int32)", "torch.tensor([3, -2], dtype=torch.int32)"),
    ("v = arange(12).reshape(3, 4)[1:, ::2]", "torch.arange(12).reshape(3, 4)[1:, ::2]"),
    ("v = tensor([True, False])", "torch.tensor([True, False])"),
    ("v = ones(3, dtype=float16) / 3", "torch.ones(3, dtype=torch.float16) / 3"),
    ("v = arange(6).reshape(2, 3).T", "torch.arange(6).reshape(2, 3).T"),
    ("v = zeros(0, 3)", "torch.zeros(0, 3)"),
    ("v = tensor([nan, inf, -inf])", "torch.tensor([float('nan'), float('inf'), -float('inf')])"),
    ("v = tensor([1., 2.], requires_grad=True)", "torch.tensor([1., 2.], requires_grad=True)"),
    ("v = tensor([1., 2.], requires_grad=True) * 2",
     "torch.tensor([1., 2.], requires_grad=True).detach().mul(2).requires_grad_()"),
    ("t = arange(4.); v = [t, t[1:], t, t.reshape(2, 2).T]",
     "(lambda t: [t, t[1:], t, t.reshape(2, 2).T])(torch.arange(4.))"),
    ("x = arange(30.); v = [" + ", ".join(f"x[{i}]" for i in range(30)) + "]",
     "(lambda x: [x[i] for i in range(30)])(torch.arange(30.))"),
    ("v = [ones(2), (1.5, True, None, 'a', 2 ** 40, -7, -2 ** 31 - 1, 2 ** 63, -2 ** 64), int32, "
     "ones(2, 3).shape, tensor(1).shape, (), [], [[]]]",
     "[torch.ones(2), (1.5, True, None, 'a', 2 ** 40, -7, -2 ** 31 - 1, 2 ** 63, -2 ** 64), torch.int32, "
     "torch.Size([2, 3]), torch.Size([]), (), [], [[]]]"),
    ("v = arange(1001).tolist()", "list(range(1001))"),
    # tcalc saves an expanded tensor as its own contiguous storage (torch keeps stride 0).
    ("v = tensor([1., 2.]).expand(3, 2)", "torch.tensor([1., 2.]).expand(3, 2).contiguous()"),
    ("x = ones(3, requires_grad=True); x.sum().backward(); v = x.grad", "torch.ones(3)"),
    ("v = {'W': arange(6.).reshape(2, 3), 'b': zeros(3), 'lr': 0.1, 'name': 'lin'}",
     "{'W': torch.arange(6.).reshape(2, 3), 'b': torch.zeros(3), 'lr': 0.1, 'name': 'lin'}"),
    ("v = {'only': tensor(1)}", "{'only': torch.tensor(1)}"),
    ("v = {}", "{}"),
    ("t = arange(3.); v = {1: t, 2: [t, {'x': t[1:]}], True: None}",
     "(lambda t: {1: t, 2: [t, {'x': t[1:]}], True: None})(torch.arange(3.))"),
    ("v = {i: i for i in range(1001)}", "{i: i for i in range(1001)}"),
]


def namespace_with_python() -> dict:
    """tcalc's names (recording.py), with Python's range and list for building lists."""
    return dict(torch_namespace(), range=range, list=list)


def records(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def structure(value):
    """What torch.load must give back: the text, and each tensor's strides, dtype,
    requires_grad and leafness, and which items are the same object."""
    seen: dict[int, int] = {}

    def walk(v):
        if id(v) in seen and isinstance(v, (torch.Tensor, list)):
            return ("same as", seen[id(v)])
        seen[id(v)] = len(seen)
        if isinstance(v, torch.Tensor):
            return ("tensor", v.dtype, tuple(v.shape), v.stride(), v.requires_grad, v.is_leaf)
        if isinstance(v, (list, tuple)) and not isinstance(v, torch.Size):
            return (type(v).__name__, [walk(x) for x in v])
        if isinstance(v, dict):
            return ("dict", [(k, walk(x)) for k, x in v.items()])
        return v
    return pretty(value), walk(value)


def record_files() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.pt"):
        old.unlink()
    expected = {}
    namespace = namespace_with_python()
    for name, (expression, program, shows) in SAVED.items():
        path = OUT / f"{name}.pt"
        torch.save(eval(expression, dict(namespace)), path, **SAVE_OPTIONS.get(name, {}))  # noqa: S307
        text = None
        if shows is not None:
            scope = dict(namespace, v=torch.load(path, weights_only=False))
            text = pretty(eval(shows, scope))  # noqa: S307 - our own expressions
        expected[name] = {"torch": expression, "tcalc": program, "shows": shows, "text": text}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"recorded {len(SAVED)} files in {OUT.relative_to(REPO)} ({total:,} bytes)")


def check_tcalc_files() -> int:
    failures = 0
    namespace = namespace_with_python()
    with tempfile.TemporaryDirectory() as folder:
        for i, (program, torch_value) in enumerate(FROM_TCALC):
            path = os.path.join(folder, f"v{i}.pt")
            result = subprocess.run([sys.executable, "-m", "tcalc", "-e", f"{program}; save(v, '{path}')"],
                                    cwd=REPO, capture_output=True, text=True)
            if result.returncode != 0 or result.stdout:
                print(f"tcalc could not save {program}: {result.stdout}{result.stderr}")
                failures += 1
                continue
            wanted = eval(torch_value, dict(namespace))  # noqa: S307
            for options in ({}, {"mmap": True}):
                loaded = torch.load(path, **options)  # weights_only=True, PyTorch's default
                if structure(loaded) != structure(wanted):
                    print(f"torch.load{options} of tcalc's {program}:\n{structure(loaded)}\n"
                          f"wanted:\n{structure(wanted)}")
                    failures += 1
            torch_path = os.path.join(folder, f"v{i}.torch.pt")
            torch.save(wanted, torch_path)
            ours, theirs = records(path), records(torch_path)
            ours.pop(".data/serialization_id"), theirs.pop(".data/serialization_id")
            if "expand" not in program and "grad" not in program and ours != theirs:
                differing = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
                print(f"tcalc's records of {program} differ from torch.save's: {differing}")
                failures += 1
    print(f"PyTorch reads every one of {len(FROM_TCALC)} files tcalc saved, as torch.save writes them"
          if not failures else f"{failures} failures")
    return failures


def main() -> int:
    record_files()
    return 1 if check_tcalc_files() else 0


if __name__ == "__main__":
    raise SystemExit(main())
