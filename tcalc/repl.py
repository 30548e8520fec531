"""The interactive shell (prompt_toolkit). Imported only when tcalc runs on a terminal."""
from __future__ import annotations

import os

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.lexers import PygmentsLexer

from .output import Output, run_source
from .evaluator import Session

BANNER = "tcalc: a tensor calculator that answers as PyTorch would. Ctrl-D to quit."


class NameCompleter(Completer):
    """Completes names of the live session: variables, builtins, and `torch.` members."""

    def __init__(self, names):
        self.names = names  # a callable returning the session's name table

    def get_completions(self, document, complete_event):
        word = document.get_word_before_cursor(WORD=True)
        prefix, dot, partial = word.rpartition(".")
        table = self.names()
        if dot and prefix == "torch":
            candidates = table["torch"].members
        elif dot:
            from .builtins import ATTRIBUTES, METHODS

            candidates = {**ATTRIBUTES, **METHODS}
        else:
            candidates = table
        for name in sorted(candidates):
            if name.startswith(partial) and not name.startswith("_"):
                yield Completion(name, start_position=-len(partial))


def _needs_more(text: str) -> bool:
    """Whether the statement goes on on the next line: the parser's answer (an open bracket
    or a trailing backslash), as Python's shells ask its compiler."""
    from .parser import is_incomplete

    return is_incomplete(text)


def _history():
    path = os.path.join(os.path.expanduser("~"), ".tcalc_history")
    try:
        return FileHistory(path)
    except OSError:
        return InMemoryHistory()


def run_shell(output: Output) -> int:
    session = Session()
    lexer = None
    try:
        from pygments.lexers.python import PythonLexer

        lexer = PygmentsLexer(PythonLexer)
    except ImportError:
        pass
    prompt = PromptSession(history=_history(), completer=NameCompleter(lambda: session.globals),
                           lexer=lexer, complete_while_typing=False)
    print(BANNER)
    count = 0
    while True:
        try:
            text = prompt.prompt(">>> ")
            while _needs_more(text):
                text += "\n" + prompt.prompt("... ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        if not text.strip():
            continue
        count += 1
        try:
            run_source(session, text, f"<line {count}>", output, atomic=True)
        except KeyboardInterrupt:
            output.error("interrupted")
