"""The interactive shell, driven as a user drives it: through a terminal (a pseudo-terminal).

Each test starts `python -m tcalc` on a pty, types lines, and reads what the terminal shows
with the escape codes removed.
"""
from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest

pty = pytest.importorskip("pty")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]|\r")
# The prompt at the end of what the terminal shows: `>>> `, or `... ` and its indentation.
PROMPT = re.compile(r"(>>>|\.\.\.) *\Z")
SETTLE = 0.15  # seconds without output after a prompt: the shell is waiting for a key


def _own_terminal():
    """In the child: the pseudo-terminal becomes its controlling terminal, so that Ctrl-C
    typed on it interrupts the shell, as on a real terminal."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Shell:
    def __init__(self, tmp_path, *args, env=None):
        self.master, slave = pty.openpty()
        full_env = {name: value for name, value in os.environ.items() if not name.startswith("XDG_")}
        full_env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1", HOME=str(tmp_path),
                        COLUMNS="100", LINES="40")
        full_env.update(env or {})
        self.process = subprocess.Popen([sys.executable, "-m", "tcalc", *args], stdin=slave, stdout=slave,
                                        stderr=slave, env=full_env, close_fds=True,
                                        preexec_fn=_own_terminal)
        os.close(slave)
        self.banner = self._read()

    def _read(self, timeout: float = 20) -> str:
        data, end = b"", time.monotonic() + timeout
        at_prompt = False
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], SETTLE if at_prompt else 0.1)
            if not ready:
                if at_prompt:
                    break
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the shell has exited
                break
            if not chunk:
                break
            data += chunk
            at_prompt = bool(PROMPT.search(ANSI.sub("", data.decode("utf-8", "replace"))))
        return ANSI.sub("", data.decode("utf-8", "replace"))

    def keys(self, keys: bytes) -> str:
        """Press keys; all the terminal showed until the shell waits again."""
        os.write(self.master, keys)
        return self._read()

    def type(self, line: str) -> str:
        """Type a line and Enter; what the shell answered before its next prompt. In a
        block, the shell indents the new line itself: type the line without it."""
        return self.answer(self.keys(line.encode() + b"\r"))

    def press(self, keys: bytes, wait: float = 0.5) -> str:
        """Press keys that do not end at a prompt; what the terminal showed meanwhile."""
        os.write(self.master, keys)
        time.sleep(wait)
        data = b""
        while select.select([self.master], [], [], 0.05)[0]:
            data += os.read(self.master, 4096)
        return ANSI.sub("", data.decode("utf-8", "replace"))

    @staticmethod
    def answer(shown: str) -> str:
        """What the shell printed: what follows the last line of the statement as it was
        shown (after `>>> ` or `... `, maybe drawn more than once), up to the next prompt."""
        shown = PROMPT.sub("", shown)
        echoes = list(re.finditer(r"^(?:>>>|\.\.\.) [^\n]*(?:\n|\Z)", shown, re.MULTILINE))
        return (shown[echoes[-1].end():] if echoes else shown).strip("\n")

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


def test_an_error_undoes_its_statement_and_says_what_stays_done(shell):
    shell.type("x = ones(2)")
    answer = shell.type("x += 1; x.type_as(0)")
    assert "type error: type_as(): argument 'other' (position 1) must be Tensor, not int" in answer
    assert "^" in answer and "Traceback" not in answer
    assert "note: before it, `x += 1` ran and is kept" in answer
    assert shell.type("x") == "tensor([2., 2.])"  # x += 1 ran, as it would in a script
    assert shell.type("x + 1") == "tensor([3., 3.])"  # and the session goes on
    assert shell.quit() == 0


def test_the_readme_tour_goes_on_after_its_error(shell):
    answer = shell.type("A = arange(6).reshape(2, 3); A.mean()")
    assert "hint: convert to a float tensor first: A.float().mean()" in answer
    assert "note: before it, `A = arange(6).reshape(2, 3)` ran and is kept" in answer
    assert shell.type("A.float().mean()") == "tensor(2.5000)"


def test_a_block_runs_after_an_empty_line(shell):
    assert shell.type("total = 0") == ""
    assert shell.type("for i in range(3):") == ""
    assert shell.type("total += i") == ""  # the shell indents the body itself
    assert shell.type("print(i, total)") == ""
    assert shell.type("") == "0 0\n1 1\n2 3"
    assert shell.type("total") == "3"


def test_nested_blocks_and_a_one_line_block_wait_for_the_empty_line(shell):
    shell.type("def fact(n):")
    shell.type("if n <= 1:")
    shell.type("return 1")
    shell.press(b"\x7f")  # Backspace in the indentation goes back one level
    shell.type("return n * fact(n - 1)")
    shell.type("")
    assert shell.type("fact(5)") == "120"
    assert shell.type("for c in 'ab': print(c)") == ""
    assert shell.type("") == "a\nb"
    assert shell.type("d = {'a': 1,") == ""  # an open bracket goes on, without an empty line
    assert shell.type("'b': 2}") == ""
    assert shell.type("d") == "{'a': 1, 'b': 2}"


def test_ctrl_c_stops_a_running_loop_and_the_shell_goes_on(shell):
    shell.type("n = 0")
    shell.type("while True: n += 1")
    os.write(shell.master, b"\r")
    time.sleep(1.0)
    answer = shell.answer(shell.keys(b"\x03"))
    assert "interrupted" in answer and "Traceback" not in answer
    assert shell.type("n > 0") == "True"
    assert shell.quit() == 0


def test_last_values_help_variables_and_exit(shell):
    assert shell.type("3 * 4") == "12"
    assert shell.type("_ + 1") == "13"
    assert shell.type("__") == "12"
    assert "help(name), name?" in shell.type("help")
    assert shell.type("help(sum)").splitlines()[0] == "sum(x, dim=None, keepdim=False, dtype=None, start=0)"
    assert shell.type("sum?") == shell.type("help(sum)")
    shell.type("w = ones(2, 3, requires_grad=True)")
    table = shell.type("who").splitlines()
    assert table[0].split() == ["name", "type", "shape", "dtype", "grad", "memory"]
    assert table[1].split() == ["w", "Tensor", "(2,", "3)", "float32", "requires_grad", "24", "B"]
    assert shell.type("vars()") == "\n".join(table)
    os.write(shell.master, b"exit\r")
    assert shell.process.wait(timeout=20) == 0


@pytest.mark.parametrize("word", ["quit", "exit()"])
def test_quit_and_exit_call_leave(shell, word):
    os.write(shell.master, word.encode() + b"\r")
    assert shell.process.wait(timeout=20) == 0


def test_tab_completes_inside_a_call(shell):
    shell.type("my_weights = ones(3)")
    shown = shell.press(b"sum(my_\t")
    assert shown.rstrip().endswith("sum(my_weights")
    assert shell.type(")") == "tensor(3.)"


def history_entries(path) -> list[str]:
    """The entries of prompt_toolkit's history file: lines that begin with `+`, grouped."""
    entries, current = [], None
    for line in path.read_text().splitlines():
        if line.startswith("+"):
            current = (current + "\n" if current is not None else "") + line[1:]
        elif current is not None:
            entries.append(current)
            current = None
    return entries + ([current] if current is not None else [])


def test_history_is_kept_in_the_state_folder_one_entry_per_statement(tmp_path):
    shell = Shell(tmp_path)
    shell.type("x = 1")
    shell.type("for i in range(2):")
    shell.type("x += i")
    shell.type("")
    assert shell.quit() == 0
    path = tmp_path / ".local" / "state" / "tcalc" / "history"
    assert history_entries(path) == ["x = 1", "for i in range(2):\n    x += i"]
    state = tmp_path / "state"
    shell = Shell(tmp_path, env={"XDG_STATE_HOME": str(state)})
    shell.type("y = 2")
    assert shell.quit() == 0
    assert history_entries(state / "tcalc" / "history") == ["y = 2"]


def test_up_searches_the_typed_prefix_ctrl_r_searches_and_right_takes_the_suggestion(shell):
    assert shell.type("10 + 1") == "11"
    assert shell.type("20 + 2") == "22"
    shell.press(b"1\x1b[A")  # Up after `1`: the last entry that begins so
    assert shell.type("") == "11"
    shell.press(b"\x12" + b"20 +")  # Ctrl-R, then what to find
    shell.press(b"\r")  # takes the entry found into the line
    assert shell.type("") == "22"
    shell.press(b"10")  # the rest of `10 + 1` is suggested in grey
    shell.press(b"\x1b[C")  # Right takes it
    assert shell.type("") == "11"


@pytest.mark.parametrize("env", [{"HOME": "/nonexistent"}, {"XDG_STATE_HOME": "/dev/null/state"}])
def test_unwritable_history_warns_once_and_the_shell_works(tmp_path, env):
    shell = Shell(tmp_path, env=env)
    assert shell.banner.count("history is kept in memory only") == 1
    for _ in range(2):
        assert shell.type("x = 1") == ""
    assert shell.type("x + 1") == "2"
    assert shell.quit() == 0


def test_dash_i_runs_the_script_then_keeps_its_variables(tmp_path):
    script = tmp_path / "setup.tc"
    script.write_text("w = arange(3.0)\nprint('ready')\n")
    shell = Shell(tmp_path, "-i", str(script))
    assert "ready" in shell.banner
    assert shell.type("w * 2") == "tensor([0., 2., 4.])"
    assert shell.quit() == 0


def test_autograd_session_keeps_its_graph_between_lines(shell):
    shell.type("w = tensor([1., 2.], requires_grad=True)")
    shell.type("loss = (w * w).sum()")
    shell.type("loss.backward()")
    assert shell.type("w.grad") == "tensor([2., 4.])"
    assert "retain_graph=True" in shell.type("loss.backward()")
    assert shell.type("w.grad") == "tensor([2., 4.])"


def test_a_pasted_cell_runs_statement_by_statement(shell):
    cell = "xs = [1, 2, 3]\nfor v in xs:\n    print(v * 10)\ntotal = sum(xs)\ntotal / 0\ntotal\n"
    shell.press(b"\x1b[200~" + cell.encode() + b"\x1b[201~")  # a terminal's bracketed paste
    answer = shell.type("")
    assert answer.startswith("10\n20\n30\n")
    assert "ZeroDivisionError" in answer or "division by zero" in answer
    assert "note: before it, `xs = [1, 2, 3]`" in answer
    assert shell.type("total") == "6"  # the statements before the error stay done


def test_quiet_starts_without_the_banner(tmp_path):
    shell = Shell(tmp_path, "-q")
    assert "tcalc" not in shell.banner
    assert shell.type("1 + 1") == "2"
    assert shell.quit() == 0


def test_clear_asks_first(shell):
    shell.type("x = 1")
    assert "forget all 1 variable and start afresh?" in shell.press(b"clear\r")
    assert "a fresh session" in shell.keys(b"y")  # y answers at once, as in prompt_toolkit's confirm
    assert "name 'x' is not defined" in shell.type("x")


def test_dash_i_without_a_terminal_is_a_usage_error(tmp_path):
    from conftest import tcalc_command

    script = tmp_path / "setup.tc"
    script.write_text("w = 1\n")
    result = tcalc_command("-i", str(script), stdin="")
    assert result.returncode == 2
    assert result.stderr.startswith("tcalc: -i opens the shell after the scripts: it needs a terminal")


def test_dash_i_opens_the_shell_even_when_the_script_fails(tmp_path):
    script = tmp_path / "broken.tc"
    script.write_text("a = 1\nb = a / 0\nc = 3\n")
    shell = Shell(tmp_path, "-i", str(script))
    assert "division by zero" in shell.banner
    assert shell.type("a") == "1"
    assert "name 'c' is not defined" in shell.type("c")
    assert shell.quit() == 0


def test_sigterm_ends_the_shell_cleanly(shell):
    """`kill PID` of a shell waiting for a line: one line and a terminated process's status."""
    assert shell.type("x = ones(2)") == ""
    shell.process.send_signal(signal.SIGTERM)
    assert shell.process.wait(timeout=20) == 143
    shown = shell._read(timeout=2)
    os.close(shell.master)
    assert "terminated" in shown and "Traceback" not in shown
