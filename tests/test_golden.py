"""Golden programs: tcalc must print what PyTorch 2.13 printed for the same program.

The expected outputs (.out) and refusals (.err) were recorded from PyTorch by
tests/record/record_golden.py; torch is not needed to run these tests.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_program

GOLDEN = Path(__file__).parent / "golden"
PROGRAMS = sorted(GOLDEN.rglob("*.tc"))
TORCH_WORDED = {"RuntimeError", "IndexError", "ValueError"}
ADDRESS = re.compile(r"\b0x[0-9a-f]+\b")  # <MulBackward0 at 0x7f...>: the address is the process's


def _without_addresses(text: str) -> str:
    return ADDRESS.sub("0x?", text)


def _next_statement(path: Path, line: int) -> int:
    """The line where the top-level statement after the one at `line` starts."""
    from tcalc.parser import parse

    starts = sorted(statement.span.line for statement in parse(path.read_text(encoding="utf-8")).statements)
    return next((start for start in starts if start > line), line + 10 ** 6)


@pytest.mark.parametrize("path", PROGRAMS, ids=[str(p.relative_to(GOLDEN)) for p in PROGRAMS])
def test_prints_what_pytorch_prints(path: Path):
    printed, error = run_program(path.read_text(encoding="utf-8"))
    expected = path.with_suffix(".out").read_text(encoding="utf-8")
    refusal = path.with_suffix(".err")
    if refusal.exists():
        where, kind, message = refusal.read_text(encoding="utf-8").rstrip("\n").split(": ", 2)
        line = int(where.split()[1])
        assert error is not None, f"PyTorch refused line {line} ({kind}: {message}); tcalc ran it"
        assert error.kind != "internal error", error.message
        # The refused statement, or (a compound statement's) a line inside it.
        assert error.span is not None and line <= error.span.line < _next_statement(path, line), \
            (error.span, error.message)
        if kind in TORCH_WORDED:
            # PyTorch's own errors keep PyTorch's wording (LANGUAGE.md); Python's
            # TypeError/NameError wording is Python's, not a contract.
            assert error.message.splitlines()[0] == message
    else:
        assert error is None, f"{error.kind} at {error.span}: {error.message}"
    assert _without_addresses(printed) == _without_addresses(expected)
