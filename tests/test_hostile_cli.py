"""The command line's own faults: each is one line on stderr and an exit code, never a
Python traceback; input is read bounded, so an endless source is refused, not swallowed."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tcalc

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(tcalc.__file__)))


def _shell(command: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`command` through sh, with `TCALC` standing for this tcalc."""
    env = dict(os.environ, NO_COLOR="1",
               PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))
    tcalc_command = f"'{sys.executable}' -m tcalc"
    return subprocess.run(["sh", "-c", command.replace("TCALC", tcalc_command)], capture_output=True,
                          text=True, env=env, timeout=timeout)


def _clean(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("program", ["1 + 1", "print('x')", "for i in range(3): print(i)"])
def test_a_full_disk_is_one_line_and_exit_1(program):
    result = _shell(f'TCALC -e "{program}" > /dev/full')
    _clean(result)
    assert result.returncode == 1
    assert result.stderr.strip() == "tcalc: cannot write the output: No space left on device"


def test_a_reader_that_goes_away_ends_tcalc_quietly():
    result = _shell('TCALC -e "for i in range(100000): print(i)" | head -1')
    _clean(result)
    assert result.stdout == "0\n" and result.stderr == ""


def test_a_closed_stdout_is_a_sink():
    result = _shell('TCALC -e "print(1); 2" >&-')
    _clean(result)
    assert result.returncode == 0 and result.stderr == ""


def test_a_closed_stdin_is_a_usage_error():
    result = _shell("TCALC <&-")
    _clean(result)
    assert result.returncode == 2 and "standard input is closed" in result.stderr


def test_output_the_encoding_cannot_show_is_escaped():
    result = _shell('PYTHONIOENCODING=ascii TCALC -e "print(\'é\'); \'α\'"')
    _clean(result)
    assert result.returncode == 0 and result.stdout == "\\xe9\n'\\u03b1'\n"


@pytest.mark.parametrize("source", ["/dev/zero", "yes '1 + 1' |"])
def test_an_endless_source_is_refused_after_the_input_limit(source):
    command = f"TCALC --max-input 100000 {source}" if source.startswith("/") else f"{source} TCALC --max-input 100000"
    result = _shell(command, timeout=30)
    _clean(result)
    assert result.returncode == 1
    assert "limit exceeded" in result.stderr and "longer than 100,000 characters" in result.stderr


def test_stdin_may_start_with_a_byte_order_mark():
    result = _shell("printf '\\357\\273\\2771 + 1\\n' | TCALC")
    _clean(result)
    assert result.stdout == "2\n"


def test_old_mac_line_ends_end_statements():
    result = _shell("printf 'x = 1\\ry = x + 1\\ry\\r' | TCALC")
    _clean(result)
    assert result.stdout == "2\n"


def test_digits_of_other_scripts_are_not_numbers():
    result = _shell("TCALC -e 'x = ٣'")
    _clean(result)
    assert result.returncode == 1 and "syntax error: unexpected character '٣' (U+0663)" in result.stderr
