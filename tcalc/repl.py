"""The interactive shell (prompt_toolkit). Imported only when tcalc runs on a terminal.

One statement is one entry of the editing buffer, however many lines it spans: Enter runs
it when the parser says it is complete (tcalc.shell_input), and otherwise opens a `... `
line, indented; a block ends with an empty line, as in Python's shell. The statements of
what was typed run as a script's do, each simple statement undone alone if it fails.
"""
from __future__ import annotations

import sys

from . import shell_commands
from .errors import TcalcError
from .evaluator import Session
from .output import Output, run_source
from .render import error_text
from .shell_input import INDENT, is_finished, next_indent, program_text

BANNER = "tcalc: a tensor calculator that answers as PyTorch would. help for help, Ctrl-D to quit."

_MISSING = object()


class ShellSession(Session):
    """A session that notes the top-level statements of the current input that finished,
    so that an error can say which of them stay done."""

    def __init__(self):
        super().__init__()
        self.finished: list = []  # the spans of the statements run so far

    def execute(self, node, outer=None, last=True):
        value = super().execute(node, outer, last)
        self.finished.append(node.span)
        return value


class Shell:
    """What the shell does with each input; `ask(question)` answers a yes/no question (the
    terminal's, in run_shell)."""

    def __init__(self, output: Output, ask=lambda question: False):
        self.output = output
        self.ask = ask
        self._count = 0
        self._reset()

    def _reset(self) -> None:
        self.session = ShellSession()
        self._initial = dict(self.session.globals)  # the builtins: not the user's variables
        self._last_shown = _MISSING

    def user_variables(self) -> dict:
        initial = self._initial
        return {name: value for name, value in self.session.globals.items()
                if initial.get(name, _MISSING) is not value and name not in shell_commands.RESULTS}

    # ---- one input ------------------------------------------------------------------------

    def run_scripts(self, jobs) -> None:
        """`tcalc -i FILE.tc`: the scripts run first, as a script runs (stopping at an error)."""
        try:
            for source, filename in jobs:
                if not run_source(self.session, source, filename, self.output):
                    break
        except KeyboardInterrupt:
            self.output.error("interrupted: the script stopped; its statement that was running is undone")
        self.session.finished = []

    def handle(self, text: str) -> bool:
        """Run what was typed: a shell command or a program. False to leave the shell."""
        text = program_text(text)
        if not text:
            return True
        command = shell_commands.command(text, self.session.globals)
        if command is not None:
            kind, argument = command
            if kind == "exit":
                return False
            if kind == "who":
                self.output.text(shell_commands.variables_table(self.user_variables()) + "\n")
            elif kind == "clear":
                self._clear()
            else:
                self.output.text(shell_commands.help_text(argument, self.session.globals) + "\n")
            return True
        self.run(text)
        return True

    def _clear(self) -> None:
        count = len(self.user_variables())
        if count and not self.ask(f"forget all {count} variable{'s' if count > 1 else ''} and start afresh?"):
            self.output.text("kept\n")
            return
        self._reset()
        self.output.text("a fresh session\n")

    def run(self, text: str, filename: str | None = None) -> str:
        """Run a program statement by statement (the shell's input, a notebook's cell): each
        value shown as it comes, each failing statement undone alone, and the error says
        which statements before it stay done. "done", "error" or "interrupted"."""
        self._count += 1
        filename = filename or f"<line {self._count}>"
        session = self.session
        session.write = self.output.text
        session.finished = []
        try:
            for value in session.run(text, filename=filename):
                try:
                    self.output.value(value)
                except TcalcError as err:
                    raise session.placed_at_shown(err) from None
                self._remember(value)
        except TcalcError as err:
            self.output.error(error_text(err, text, filename) + self._kept(err, text))
        except RecursionError:  # showing a value nested deeper than Python can follow
            self.output.error(error_text(session.too_deep_to_show(), text, filename))
        except KeyboardInterrupt:
            self.output.error("interrupted: the statement that was running is undone" + self._kept(None, text))
            return "interrupted"
        else:
            return "done"
        return "error"

    def _remember(self, value) -> None:
        """`_`, `__`, `___`: the last values shown, unless the user bound `_` themselves."""
        names = self.session.globals
        if names.get("_", _MISSING) is not self._last_shown:
            return
        names["___"], names["__"] = names.get("__"), names.get("_")
        names["_"] = self._last_shown = value

    def _kept(self, err, text: str) -> str:
        """A note under the error naming the statements before it that ran and stay done."""
        done = self.session.finished
        if not done:
            return ""
        lines = text.split("\n")
        shown = []
        for span in done[:3]:
            line = lines[span.line - 1]
            piece = line[span.column - 1:span.end_column - 1] if span.end_line == span.line else line.strip()
            shown.append("`" + (piece if len(piece) <= 40 else piece[:37] + "...") + "`")
        more = f" and {len(done) - 3} more" if len(done) > 3 else ""
        gutter = " " * len(str(err.span.line)) if err is not None and err.span is not None else " "
        verb = "ran and is kept" if len(done) == 1 else "ran and are kept"
        return f"\n{gutter} = note: before it, {', '.join(shown)}{more} {verb}"


def run_shell(output: Output, jobs=(), banner: bool = True) -> int:
    shell = Shell(output, ask=_confirm)
    prompt = _prompt_session(shell)
    if banner:
        print(BANNER)
    shell.run_scripts(jobs)
    while True:
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        if not shell.handle(text):
            return 0


def _confirm(question: str) -> bool:
    from prompt_toolkit.shortcuts import confirm

    try:
        return confirm(question)
    except (KeyboardInterrupt, EOFError):
        return False


def _warn(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _prompt_session(shell: Shell):
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.layout.processors import HighlightMatchingBracketProcessor
    from prompt_toolkit.lexers import PygmentsLexer

    from .completion import SessionCompleter
    from .shell_history import open_history

    lexer = None
    try:
        from .lexer import TcalcLexer

        lexer = PygmentsLexer(TcalcLexer)
    except ImportError:  # pygments comes with rich; without it, no highlighting
        pass
    return PromptSession(
        ">>> ", multiline=True, prompt_continuation=lambda width, line, wrap: "... ",
        history=open_history(_warn), auto_suggest=AutoSuggestFromHistory(),
        enable_history_search=True,  # Up with a typed prefix finds the entries that begin so
        completer=SessionCompleter(lambda: shell.session.globals, shell.user_variables),
        complete_while_typing=False, lexer=lexer, key_bindings=_key_bindings(),
        input_processors=[HighlightMatchingBracketProcessor()])


def _key_bindings():
    from prompt_toolkit.enums import DEFAULT_BUFFER
    from prompt_toolkit.filters import has_focus
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()
    editing = has_focus(DEFAULT_BUFFER)

    @bindings.add("enter", filter=editing)
    def _enter(event):
        """Run a finished statement; otherwise a new line, indented."""
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
            return
        if "\n" not in buffer.text:
            buffer.cursor_position = len(buffer.text)
        if buffer.document.is_cursor_at_the_end and is_finished(buffer.text):
            buffer.text = program_text(buffer.text)  # the history keeps the statement alone
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n" + next_indent(buffer.document.text_before_cursor))

    @bindings.add("backspace", filter=editing)
    def _backspace(event):
        """In an indentation, back one level."""
        buffer = event.current_buffer
        line = buffer.document.current_line_before_cursor
        if line and not line.strip():
            buffer.delete_before_cursor(len(line) % len(INDENT) or len(INDENT))
        else:
            buffer.delete_before_cursor(event.arg)

    return bindings
