"""Golden programs that start with the imports notebooks write (`import numpy as np`,
`from torch.distributions import multinomial`), recorded from PyTorch like tests/golden.

Until the language parses these imports, the test binds them itself, from the table the
importer will use (tcalc.builtins.MODULES), and runs the rest of the program.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_program
from test_golden import _without_addresses

from tcalc import builtins
from tcalc.evaluator import Session

GOLDEN = Path(__file__).parent / "golden_imports"
PROGRAMS = sorted(GOLDEN.rglob("*.tc"))
IMPORT = re.compile(r"^import ([\w.]+)(?: as (\w+))?$")
FROM_IMPORT = re.compile(r"^from ([\w.]+) import (\w+)(?: as (\w+))?$")


def bind_imports(source: str, session: Session) -> str:
    """Bind the program's import lines in the session; returns the program without them
    (blank lines in their place, so that line numbers stay)."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        if m := IMPORT.match(line):
            module, alias = m.groups()
            if module != "torch":
                session.globals[alias or module] = builtins.MODULES[module]
            lines[i] = ""
        elif m := FROM_IMPORT.match(line):
            module, name, alias = m.groups()
            found = builtins.MODULES.get(f"{module}.{name}") or builtins.MODULES[module].members[name]
            session.globals[alias or name] = found
            lines[i] = ""
    return "\n".join(lines)


@pytest.mark.parametrize("path", PROGRAMS, ids=[str(p.relative_to(GOLDEN)) for p in PROGRAMS])
def test_prints_what_pytorch_prints(path: Path):
    session = Session()
    printed, error = run_program(bind_imports(path.read_text(encoding="utf-8"), session), session)
    expected = path.with_suffix(".out").read_text(encoding="utf-8")
    refusal = path.with_suffix(".err")
    if refusal.exists():
        where, kind, message = refusal.read_text(encoding="utf-8").rstrip("\n").split(": ", 2)
        assert error is not None, f"PyTorch refused {where} ({kind}: {message}); tcalc ran it"
        assert error.span is not None and error.span.line == int(where.split()[1]), error.message
        if kind in ("RuntimeError", "IndexError", "ValueError"):
            assert error.message.splitlines()[0] == message
    else:
        assert error is None, f"{error.kind} at {error.span}: {error.message}"
    assert _without_addresses(printed) == _without_addresses(expected)
