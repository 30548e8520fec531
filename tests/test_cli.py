"""The command line as a user meets it: -e, scripts, pipes, exit codes, stdout vs stderr."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tcalc_command

import tcalc

SEED_CELLS = Path(__file__).resolve().parents[2] / "shared" / "tools" / "seed_cells.json"


def test_eval_prints_pytorch_text():
    result = tcalc_command("-e", "arange(12).reshape(3, 4).sum(axis=0)")
    assert result.returncode == 0
    assert result.stdout == "tensor([12, 15, 18, 21])\n"
    assert result.stderr == ""


def test_semicolon_rule():
    result = tcalc_command("-e", "x = arange(4); x\na = x.float(); a.sum(); a.mean()\na.sum(), a.mean()")
    assert result.stdout == ("tensor([0, 1, 2, 3])\ntensor(1.5000)\n"
                             "(tensor(6.), tensor(1.5000))\n")


def test_pipe_reads_program_from_stdin():
    result = tcalc_command(stdin="import torch\nx = torch.tensor([1., 2.])\nx * 2\n")
    assert result.returncode == 0
    assert result.stdout == "tensor([2., 4.])\n"


def test_dash_reads_stdin():
    result = tcalc_command("-", stdin="1 + 1\n")
    assert (result.returncode, result.stdout) == (0, "2\n")


def test_scripts_share_one_session(tmp_path: Path):
    first = tmp_path / "a.tc"
    second = tmp_path / "b.tc"
    first.write_text("x = arange(3)\n", encoding="utf-8")
    second.write_text("x + 1 # 注释 in UTF-8\n", encoding="utf-8")
    result = tcalc_command(str(first), str(second))
    assert (result.returncode, result.stdout) == (0, "tensor([1, 2, 3])\n")


def test_program_error_exit_1_with_place_and_caret(tmp_path: Path):
    script = tmp_path / "bad.tc"
    script.write_text("x = arange(3)\nx\ny = x + arange(4)\nx * 10\n", encoding="utf-8")
    result = tcalc_command(str(script))
    assert result.returncode == 1
    # Output before the error is printed; the script stops at the error.
    assert result.stdout == "tensor([0, 1, 2])\n"
    assert f"{script}:3:" in result.stderr
    assert "y = x + arange(4)" in result.stderr
    assert "^" in result.stderr
    assert "Traceback" not in result.stderr


def test_syntax_error_is_reported_not_raised():
    result = tcalc_command("-e", "x = (1 + ")
    assert result.returncode == 1
    assert "<-e>:1:" in result.stderr and "syntax error" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2():
    assert tcalc_command("--bogus").returncode == 2
    missing = tcalc_command("no/such/file.tc")
    assert missing.returncode == 2 and "no/such/file.tc" in missing.stderr
    assert tcalc_command("-e").returncode == 2


def test_no_colour_when_piped():
    result = tcalc_command("-e", "tensor([1.5, -2.0])", env={"NO_COLOR": ""})
    assert "\x1b[" not in result.stdout


def test_seed_notebook_cells_run_in_order(tmp_path: Path):
    """Every deterministic cell of the seed notebook prints what the notebook shows."""
    if not SEED_CELLS.exists():  # ../shared sits beside the checkout on developers' machines and CI
        pytest.skip(f"{SEED_CELLS} not found")
    cells = json.loads(SEED_CELLS.read_text(encoding="utf-8"))
    program = Path(__file__).resolve().parents[1] / "examples" / "seed.tc"
    result = tcalc_command(str(program))
    assert result.returncode == 0, result.stderr
    shown = [c["shown"] for c in cells if c["shown"] and "randn" not in c["code"] and "id(Y)" not in c["code"]]
    for text in shown:
        assert text + "\n" in result.stdout


# ---- diagnostics, exit codes and streams (issue 4) ----------------------------------------

def test_error_goes_to_stderr_values_to_stdout(tmp_path: Path):
    script = tmp_path / "two.tc"
    script.write_text("1 + 1\nA = ones(2, 3)\nA @ A\n3\n", encoding="utf-8")
    result = tcalc_command(str(script))
    assert result.returncode == 1
    assert result.stdout == "2\n"  # the line after the error never runs
    assert result.stderr.startswith(f"{script}:3:3: shape error: mat1 and mat2 shapes cannot be multiplied")
    assert "3 | A @ A\n" in result.stderr and "^" in result.stderr and "hint:" in result.stderr


def test_first_failing_script_stops_the_rest(tmp_path: Path):
    first, second = tmp_path / "a.tc", tmp_path / "b.tc"
    first.write_text("x = undefined_name\n", encoding="utf-8")
    second.write_text("1\n", encoding="utf-8")
    result = tcalc_command(str(first), str(second))
    assert (result.returncode, result.stdout) == (1, "")
    assert f"{first}:1:5: name error" in result.stderr


def test_every_error_kind_exits_1_without_traceback():
    for program in ("x = (", "nope", "ones(2) + ones(3)", "arange(3).mean()", "9 ** 9 ** 9",
                    "tensor(1.).backward()", "zeros(10**6, 10**6)", "'a' + 1", "[1][5]"):
        result = tcalc_command("-e", program)
        assert result.returncode == 1, program
        assert result.stdout == ""
        assert result.stderr.startswith("<-e>:1:"), (program, result.stderr)
        assert "Traceback" not in result.stderr


def test_stdin_error_names_stdin():
    result = tcalc_command(stdin="x = 1\ny = x +\n")
    assert result.returncode == 1
    assert result.stderr.startswith("<stdin>:2:")


def test_failed_statement_changes_nothing_for_later_eval_programs():
    result = tcalc_command("-e", "x = arange(3)", "-e", "x.add_(1), 1/0")
    assert result.returncode == 1
    assert "division by zero" in result.stderr


def test_non_utf8_script_is_a_usage_error(tmp_path: Path):
    script = tmp_path / "latin1.tc"
    script.write_bytes(b"x = 1 # caf\xe9\n")
    result = tcalc_command(str(script))
    assert result.returncode == 2 and "UTF-8" in result.stderr


def test_control_characters_in_source_do_not_reach_the_terminal():
    result = tcalc_command("-e", "\x1b[2J x $")
    assert result.returncode == 1 and "\x1b" not in result.stderr


def test_numpy_warnings_do_not_reach_the_user():
    result = tcalc_command("-e", "tensor([]).mean()\ntensor([-1.]).log()")
    assert (result.returncode, result.stdout, result.stderr) == (0, "tensor(nan)\ntensor([nan])\n", "")


def test_an_endless_loop_stops_at_ctrl_c_with_exit_130():
    """`while True: pass` is not a hang: SIGINT ends it at once, cleanly."""
    import select
    import signal
    import time

    env = dict(os.environ, NO_COLOR="1")
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(tcalc.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen([sys.executable, "-m", "tcalc", "-e",
                                "print('looping')\nn = 0\nwhile True:\n    n += 1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    # Inside the loop once its first line is out (a fixed wait was not enough on a loaded
    # machine, where start-up itself can take longer), and a little after.
    ready, _, _ = select.select([process.stdout], [], [], 30)
    assert ready and process.stdout.readline() == "looping\n"
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("the loop did not stop at SIGINT")
    assert process.returncode == 130
    assert err.strip() == "interrupted" and "Traceback" not in err
