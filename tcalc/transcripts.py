"""Checked transcripts: `tcalc --check FILE...`.

A transcript is text in which `>>> ` lines (with `... ` continuation lines) are what a person
typed into the shell, each followed by what the shell answered; every other line is prose,
so a Markdown file (README.md, a tutorial) is a transcript of its examples:

    >>> x = arange(3.)
    >>> x * 2
    tensor([0., 2., 4.])

A `$ tcalc -e PROGRAM` line (its quotes may go on over lines) is a run of the command line,
in a session of its own, followed by what it prints; other `$ ` lines are prose.

An example's expected output ends at a blank line, a `$ ` line or the next `>>> ` line; inside
a fenced block (```` ```tcalc ```` or any other fence) it runs to the next `>>> ` or `$ ` line
or the end of the fence, so that outputs with blank lines in them (a 3-d tensor) can be shown.
`<BLANKLINE>` stands for a blank line of output outside a fence, as in doctest.

Each file runs in one fresh session, each example as the shell runs a line (`<line N>` in its
diagnostics, a failed line undone as a whole), with output as it is piped: PyTorch's plain
text, diagnostics included. This module finds, runs and compares; cli.py prints the report.
"""
from __future__ import annotations

import difflib
import re

from . import printing
from .render import show

PROMPT, CONTINUATION = ">>> ", "... "
COMMAND = "$ tcalc "  # `$ tcalc -e PROGRAM`: a run of the command line, in a session of its own
_FENCE = re.compile(r"^\s*(```|~~~)")


class Example:
    """One `>>>` input and the output the transcript says it prints. Line numbers are
    1-based; `output_start`..`output_end` (exclusive) are the expected output's lines."""

    __slots__ = ("line", "source", "expected", "output_start", "output_end", "indent", "fenced",
                 "programs")

    def __init__(self, line: int, source: str, expected: str, output_start: int, output_end: int,
                 indent: str, fenced: bool, programs: list[str] | None = None):
        self.line, self.source, self.expected = line, source, expected
        self.output_start, self.output_end, self.indent = output_start, output_end, indent
        self.fenced = fenced
        self.programs = programs  # a `$ tcalc -e` example's programs; None for a `>>>` one


class Result:
    """What one example printed, beside what it should have printed."""

    __slots__ = ("example", "got")

    def __init__(self, example: Example, got: str):
        self.example, self.got = example, got

    @property
    def passed(self) -> bool:
        return _normalise(self.got) == _normalise(self.example.expected)

    def diff(self, filename: str) -> list[str]:
        """A unified diff from the expected output to the actual one, line by line."""
        return list(difflib.unified_diff(
            self.example.expected.splitlines(), self.got.splitlines(),
            f"{filename}:{self.example.line} (expected)", "(got)", lineterm=""))


def _normalise(text: str) -> str:
    """Trailing spaces and final newlines are not compared (editors strip them)."""
    return "\n".join(line.rstrip() for line in text.rstrip("\n").split("\n")).rstrip("\n")


def examples(text: str) -> list[Example]:
    """The examples of a transcript, in order."""
    lines = text.replace("\r\n", "\n").split("\n")
    found: list[Example] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
            i += 1
            continue
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        start = i
        if stripped.startswith(PROMPT) or stripped == PROMPT.rstrip():
            source, programs = [stripped[len(PROMPT):]], None
            i += 1
            while i < len(lines) and _continues(lines[i], indent):
                source.append(lines[i][len(indent) + len(CONTINUATION):])
                i += 1
        elif stripped.startswith(COMMAND):
            source, programs, i = _command(lines, i, indent)
            if programs is None:  # another command: prose
                continue
        else:
            i += 1
            continue
        output_start = i
        output = []
        while i < len(lines):
            line = lines[i]
            body = line[len(indent):] if line.startswith(indent) else line.lstrip()
            if (_FENCE.match(line) or body.startswith(PROMPT) or body == PROMPT.rstrip()
                    or body.startswith("$ ") or (not line.strip() and not in_fence)):
                break
            output.append("" if body == "<BLANKLINE>" else body)
            i += 1
        while output and not output[-1].strip():  # blank lines before a fence's end
            output.pop()
            i -= 1
        found.append(Example(start + 1, "\n".join(source), "\n".join(output), output_start + 1,
                             output_start + 1 + len(output), indent, in_fence, programs))
        i = max(i, output_start)
    return found


def _command(lines: list[str], i: int, indent: str):
    """A `$ tcalc -e PROGRAM` line (its quotes may span lines): its text, its programs (None
    for any other command) and the line after it."""
    import shlex

    text = lines[i][len(indent) + 2:]
    end = i + 1
    while True:
        try:
            words = shlex.split(text)
            break
        except ValueError:  # a quote still open: the program goes on on the next line
            if end >= len(lines) or end - i > 1000:
                return [text], None, i + 1
            text += "\n" + lines[end]
            end += 1
    programs, rest = [], iter(words[1:])
    for word in rest:
        if word in ("-e", "--eval"):
            programs.append(next(rest, ""))
        elif word.startswith("--eval="):
            programs.append(word.split("=", 1)[1])
        elif word != "--no-color":
            return [text], None, end
    return text.split("\n"), programs or None, end


def _continues(line: str, indent: str) -> bool:
    body = line[len(indent):] if line.startswith(indent) else None
    return body is not None and (body.startswith(CONTINUATION) or body == CONTINUATION.rstrip())


class _Recorder:
    """The Output interface of tcalc.output, writing into a string: values as piped text,
    errors as plain diagnostics, in the order the shell would show them."""

    color = error_color = False

    def __init__(self):
        self.parts: list[str] = []

    def value(self, value) -> None:
        self.parts.append(show(value).text + "\n")

    def text(self, text: str) -> None:
        self.parts.append(text)

    def error(self, text: str) -> None:
        self.parts.append(text + "\n")

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def run(text: str) -> list[Result]:
    """Run a transcript's examples in one new session, as the shell runs typed lines (each
    statement undone alone if it fails, `help` and `_` as in the shell)."""
    from .evaluator import Session
    from .output import run_source
    from .repl import Shell

    recorder = _Recorder()
    shell = Shell(recorder)
    results = []
    for example in examples(text):
        if example.programs is not None:  # as `tcalc -e` runs: a session of its own for all its
            command_session = Session()  # programs, stopping at the first error
            printing.reset_printoptions()  # and a process of its own: PyTorch's defaults
            for program in example.programs:
                if not run_source(command_session, program, "<-e>", recorder):
                    break
        elif example.source.strip():
            shell.handle(example.source)
        results.append(Result(example, recorder.take()))
    return results


def updated(text: str, results: list[Result]) -> str:
    """The transcript with each failed example's expected output replaced by what it printed
    (Windows line ends become Unix ones)."""
    lines = text.replace("\r\n", "\n").split("\n")
    for result in sorted((r for r in results if not r.passed), key=lambda r: -r.example.line):
        example = result.example
        got = _normalise(result.got).split("\n") if result.got.strip() else []
        blank = "" if example.fenced else "<BLANKLINE>"
        got = [example.indent + line if line.strip() else blank for line in got]
        lines[example.output_start - 1:example.output_end - 1] = got
    return "\n".join(lines)
