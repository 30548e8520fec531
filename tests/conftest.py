"""Shared helpers: run tcalc programs in-process or through the installed command."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tcalc
from tcalc.errors import TcalcError
from tcalc.evaluator import Session
from tcalc.render import value_text


def run_program(source: str, session: Session | None = None,
                filename: str = "t.tc") -> tuple[str, TcalcError | None]:
    """What a script prints, and the error it stopped at (None if it ran to the end)."""
    printed = []
    session = session or Session()
    session.write = printed.append  # print()'s text, in order with the values shown
    try:
        for value in session.run(source, filename=filename):
            printed.append(value_text(value) + "\n")
    except TcalcError as err:
        return "".join(printed), err
    return "".join(printed), None


def tcalc_command(*args: str, stdin: str | None = None, env: dict | None = None,
                  timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the tcalc command as a user would (`python -m tcalc` of the tested install)."""
    full_env = dict(os.environ, NO_COLOR="1")
    # The tcalc these tests import, wherever the command runs from (a test may chdir).
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(tcalc.__file__)))
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "tcalc", *args], input=stdin, capture_output=True,
                          text=True, env=full_env, timeout=timeout)


def answer(source: str):
    """The text of a program's last value ("None" for none), or the error it stopped at."""
    try:
        values = list(Session().run(source))
    except TcalcError as err:
        return err
    return value_text(values[-1]) if values else "None"


def assert_answers_as_recorded(case: dict, worded: set[str]) -> None:
    """A case recorded from PyTorch (tests/record/recording.py): the same text, or a clean
    refusal, in PyTorch's words for the error types in `worded`."""
    got = answer(case["source"])
    if case["ok"]:
        assert not isinstance(got, TcalcError), f"PyTorch gives {case['text']}; tcalc: {got.message}"
        assert got == case["text"]
    else:
        assert isinstance(got, TcalcError), f"PyTorch refuses ({case['message']}); tcalc gives {got}"
        assert got.kind != "internal error", got.message
        if case["error"] in worded:
            assert got.message.splitlines()[0] == case["message"]


@pytest.fixture
def session() -> Session:
    return Session()


@pytest.fixture(autouse=True)
def _default_print_options():
    """Print options are the process's, as torch's are: no test sees another's."""
    from tcalc import printing

    printing.reset_printoptions()
    yield
    printing.reset_printoptions()
