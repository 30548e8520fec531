"""The interactive shell, driven as a user drives it: through a terminal (a pseudo-terminal).

Each test starts `python -m tcalc` on a pty, types lines, and reads what the terminal shows
with the escape codes removed.
"""
from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

import pytest

pty = pytest.importorskip("pty")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]|\r")
PROMPT = re.compile(r"(>>>|\.\.\.) ?$")


class Shell:
    def __init__(self, tmp_path):
        self.master, slave = pty.openpty()
        env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1",
                   HOME=str(tmp_path), COLUMNS="100", LINES="40")
        self.process = subprocess.Popen([sys.executable, "-m", "tcalc"], stdin=slave, stdout=slave,
                                        stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.banner = self._read()

    def _read(self, timeout: float = 20) -> str:
        data, end = b"", time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the shell has exited
                break
            if not chunk:
                break
            data += chunk
            if PROMPT.search(ANSI.sub("", data.decode("utf-8", "replace"))):
                break
        return ANSI.sub("", data.decode("utf-8", "replace"))

    def type(self, line: str) -> str:
        """Type a line and Enter; what the shell answered before its next prompt."""
        os.write(self.master, line.encode() + b"\r")
        shown = self._read()
        # The terminal shows the prompt with the typed line (maybe more than once, as it is
        # redrawn); the answer follows the last of them.
        echo = max(shown.rfind(">>> " + line), shown.rfind("... " + line))
        answer = shown[echo + 4 + len(line):] if echo >= 0 else shown
        return PROMPT.sub("", answer).strip("\n")

    def quit(self) -> int:
        os.write(self.master, b"\x04")  # Ctrl-D
        try:
            return self.process.wait(timeout=20)
        finally:
            os.close(self.master)


@pytest.fixture
def shell(tmp_path):
    s = Shell(tmp_path)
    yield s
    if s.process.poll() is None:
        s.process.kill()
        s.process.wait()


def test_values_print_and_ctrl_d_exits_cleanly(shell):
    assert "tcalc" in shell.banner
    assert shell.type("x = arange(3.0)") == ""
    assert shell.type("x * 2") == "tensor([0., 2., 4.])"
    assert shell.type("x.sum(); x.mean()") == "tensor(1.)"
    assert shell.quit() == 0


def test_open_bracket_continues_on_the_next_line(shell):
    shell.type("y = (")
    shell.type("1, 2)")
    assert shell.type("y") == "(1, 2)"
    # a bracket inside a string or a comment does not open anything
    shell.type("s = '('  # (")
    assert shell.type("s") == "'('"


def test_an_error_is_reported_and_the_failed_line_is_undone(shell):
    shell.type("x = ones(2)")
    answer = shell.type("x += 1; x.type_as(0)")
    assert "type error: type_as(): argument 'other' (position 1) must be Tensor, not int" in answer
    assert "^" in answer and "Traceback" not in answer
    assert shell.type("x") == "tensor([1., 1.])"  # the whole line was undone, x += 1 included
    assert shell.type("x + 1") == "tensor([2., 2.])"  # and the session goes on
    assert shell.quit() == 0


def test_autograd_session_keeps_its_graph_between_lines(shell):
    shell.type("w = tensor([1., 2.], requires_grad=True)")
    shell.type("loss = (w * w).sum()")
    shell.type("loss.backward()")
    assert shell.type("w.grad") == "tensor([2., 4.])"
    assert "retain_graph=True" in shell.type("loss.backward()")
    assert shell.type("w.grad") == "tensor([2., 4.])"
