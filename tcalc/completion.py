"""Tab completion for the shell, anywhere in the line: names (variables, builtins), the
members after a dot (a namespace's own, `torch.linalg.`, `F.`; a tensor's methods and
attributes; a list's, dict's or str's methods), a dict's keys after `d[`, and the keyword
arguments of the call being typed (`x.sum(di` -> `dim=`). Each shows a one-line
signature or description in the menu.

Only plain dotted names of live variables are looked up, one table at a time
(tcalc.shell_commands.lookup): nothing is called and no user text is evaluated.
"""
from __future__ import annotations

import re

from prompt_toolkit.completion import Completer, Completion

from . import shell_commands
from .python_values import python_repr

_WORD = re.compile(r"(?<![\w.])((?:[A-Za-z_]\w*\.)*)(\w*)\Z")  # `torch.linalg.no`, `my_`
_CALLEE = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\Z")  # before an open bracket
_KEY_IN_STRING = re.compile(r"(['\"])([^'\"]*)\Z")


def scan(text: str) -> tuple[list[int], str | None]:
    """The positions of the brackets still open at the end of `text`, and the quote of the
    string it ends inside (None if it does not), or "#" for a comment."""
    opened: list[int] = []
    quote = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif c == "#":
            end = text.find("\n", i)
            if end < 0:
                return opened, "#"
            i = end
            continue
        elif c in "'\"":
            quote = text[i:i + 3] if text[i:i + 3] in ("'''", '"""') else c
            i += len(quote)
            continue
        elif c in "([{":
            opened.append(i)
        elif c in ")]}" and opened:
            opened.pop()
        i += 1
    return opened, quote


class SessionCompleter(Completer):
    """Completes from a live session's names (`names()` returns its globals, `user()` the
    names the user bound)."""

    def __init__(self, names, user):
        self.names = names
        self.user = user

    def get_completions(self, document, complete_event):
        text = document.text_before_cursor
        opened, quote = scan(text)
        if quote == "#":
            return
        if quote:
            yield from self._dict_keys_in_string(text, opened)
            return
        word = _WORD.search(text)
        if word is None or text[:word.start()].endswith("."):  # after a number, or `f().`
            return
        path, partial = word.group(1), word.group(2)
        if path:
            yield from self._members(path[:-1], partial)
            return
        if partial[:1].isdigit():
            return
        if opened and text[opened[-1]] == "[" and not text[opened[-1] + 1:].strip():
            yield from self._dict_keys(text[:opened[-1]])
        if opened and text[opened[-1]] == "(":
            yield from self._keywords(text[:opened[-1]], text[opened[-1] + 1:], partial)
        yield from self._names(partial)

    # ---- the kinds of completion ----------------------------------------------------------

    def _names(self, partial: str):
        names, user = self.names(), self.user()
        for name in sorted(user):
            if name.startswith(partial):
                yield Completion(name, -len(partial), display_meta=_meta(user[name]))
        for name in sorted(names):
            if name.startswith(partial) and name not in user and not name.startswith("_"):
                yield Completion(name, -len(partial), display_meta=_lazy_meta(names[name], name))

    def _members(self, path: str, partial: str):
        value = shell_commands.lookup(path, self.names())
        if value is None:
            return
        for name, kind in sorted(shell_commands.members(value).items()):
            if name.startswith(partial) and (partial.startswith("_") or not name.startswith("_")):
                entry = shell_commands.member(value, name)
                meta = _lazy_meta(entry, name) if entry is not None else kind
                yield Completion(name, -len(partial), display_meta=meta)

    def _keywords(self, before_bracket: str, arguments: str, partial: str):
        """`name=` for the parameters of the call being typed that are not given yet."""
        callee = _CALLEE.search(before_bracket)
        if callee is None:
            return
        entry = shell_commands.lookup(callee.group(1), self.names())
        if entry is None:
            return
        given = set(re.findall(r"(\w+)\s*=(?!=)", arguments))
        meta = shell_commands.signature(entry, callee.group(1).rsplit(".", 1)[-1]) or ""
        for name in shell_commands.parameters(entry):
            if name.startswith(partial) and name not in given:
                yield Completion(name + "=", -len(partial), display_meta=meta)

    def _dict_keys(self, before_bracket: str):
        mapping = self._mapping(before_bracket)
        for key in mapping:
            shown = python_repr(key)
            yield Completion(shown + "]", 0, display=shown, display_meta=_meta(mapping[key]))

    def _dict_keys_in_string(self, text: str, opened: list[int]):
        if not opened or text[opened[-1]] != "[":
            return
        inside = _KEY_IN_STRING.fullmatch(text[opened[-1] + 1:].lstrip())
        if inside is None:
            return
        quote, partial = inside.groups()
        mapping = self._mapping(text[:opened[-1]])
        for key in mapping:
            if isinstance(key, str) and key.startswith(partial):
                yield Completion(key + quote + "]", -len(partial), display=key, display_meta=_meta(mapping[key]))

    def _mapping(self, before_bracket: str) -> dict:
        callee = _CALLEE.search(before_bracket)
        value = shell_commands.lookup(callee.group(1), self.names()) if callee else None
        return value if type(value) is dict else {}


def _meta(value) -> str:
    return shell_commands.describe(value)


def _lazy_meta(entry, name: str):
    """The menu's description, computed only when the menu shows it."""
    return lambda: shell_commands.signature(entry, name) or shell_commands.describe(entry)
