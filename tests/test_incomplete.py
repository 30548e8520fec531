"""parser.is_incomplete: whether the shell reads another line before running the text.

Only a text that ends where more must come is incomplete: inside an open bracket, or after
a backslash continuing the line. A triple-quoted string still open goes on too, as in Python's shell. A syntax error before
the end is shown at once.
"""
from __future__ import annotations

import pytest

from tcalc.parser import is_incomplete


@pytest.mark.parametrize("text", [
    "x = (",
    "y = (1,",
    "f([1, (2,",  # nested: both still open
    "f([1, (2, 3)]",  # the inner two closed, the call's still open
    "x = tensor([1, 2,\n  3",  # already two lines, still open
    "x = [1,  # ]",  # a bracket in a comment closes nothing
    "s = ')' + (",  # nor one in a string
    "x = 1 + \\",  # a backslash continues the line
    "x = 1 \\",
    "x = (1,\n 2) + \\",
    's = """first line',  # a triple-quoted string goes on over lines
    "s = '''first\n\nthird",
    'f("""',
])
def test_incomplete(text):
    assert is_incomplete(text)


@pytest.mark.parametrize("text", [
    "",
    "x = 1",
    "x = (1,\n 2)",
    "f([1, (2, 3)])",
    "s = '('  # (",  # brackets in strings and comments do not open anything
    "x = 1  # (",
    "1 +",  # ends a line where an operand must come: an error, not more to read
    "x = 'abc",  # an unterminated string
    "x = ''",  # an empty string, closed
    "x = '' + 'abc",
    "x = ('abc",  # even inside a bracket
    "(1 2",  # an error before the end, inside a bracket
    "x = (1 +* 2",
    "(1, 2]",
    ")",
    "x = [1, 2]]",
    "x = (1 ≤ 2",  # a character no terminal reads
    "x = 1 \\ + 2",  # a backslash not at the end of the line
])
def test_not_incomplete(text):
    assert not is_incomplete(text)


def test_the_shell_reads_on_after_a_backslash(tmp_path):
    from test_shell import Shell

    shell = Shell(tmp_path)
    try:
        shell.type("y = 1 + \\")
        shell.type("2")
        assert shell.type("y") == "3"
        # an error inside an open bracket is reported at once, not waited on
        assert "unexpected number 2" in shell.type("z = (1 2")
        assert "name 'z' is not defined" in shell.type("z")  # the line ran, and failed
        assert shell.quit() == 0
    finally:
        if shell.process.poll() is None:
            shell.process.kill()
            shell.process.wait()


def test_a_block_header_at_the_end_inside_a_block_is_incomplete():
    assert is_incomplete("def f(n):\n    if n <= 1:")
    assert is_incomplete("for i in range(3):\n    while True:\n        if i:")
    assert not is_incomplete("if x:\n    if y:\nz = 1")  # the inner block has no body: an error
