"""Where the shell keeps its history: a file in the user's state folder
(platformdirs: $XDG_STATE_HOME/tcalc/history, by default ~/.local/state/tcalc/history on
Linux), one entry per statement however many lines it spans.

prompt_toolkit's FileHistory opens its file only when it first writes, so a folder that
cannot be written is found here, before the first prompt, and the shell then keeps its
history in memory after one warning line; a write that fails later does the same.
"""
from __future__ import annotations

import os

from prompt_toolkit.history import FileHistory, History, InMemoryHistory


def history_path() -> str:
    from platformdirs import user_state_dir

    return os.path.join(user_state_dir("tcalc", appauthor=False), "history")


def open_history(warn) -> History:
    """The history file, or history in memory after `warn(one line)` if it cannot be kept."""
    try:
        path = history_path()
        home = os.path.expanduser("~")
        if path.startswith(home + os.sep) and not os.path.isdir(home):  # never make a home folder
            raise FileNotFoundError(2, "the home folder does not exist", home)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "ab"):
            pass
    except (OSError, RuntimeError) as err:  # RuntimeError: no home folder to be found
        where = getattr(err, "filename", None) or "the state folder"
        reason = getattr(err, "strerror", None) or str(err)
        warn(f"tcalc: history is kept in memory only: cannot write {where} ({reason})")
        return InMemoryHistory()
    return _SavedHistory(path, warn)


class _SavedHistory(FileHistory):
    """FileHistory that turns to memory, with one warning, if a write fails later (the
    disk filled up, the folder went away)."""

    def __init__(self, path: str, warn):
        super().__init__(path)
        self._warn = warn
        self._failed = False

    def store_string(self, string: str) -> None:
        if self._failed:
            return
        try:
            super().store_string(string)
        except OSError as err:
            self._failed = True
            self._warn(f"tcalc: history is kept in memory only from now: cannot write {self.filename} "
                       f"({err.strerror})")
