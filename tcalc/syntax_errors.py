"""Syntax errors as a person reads them.

tcalc/_lalr.py reports the token it did not expect (or the place no terminal matches), the
terminals its state would have taken and the bracket still open; a person wants to read
"expected an expression or ')'", and, for the common slips, what to write instead.
"""
from __future__ import annotations

from ._lalr import IndentationProblem, ParseError, UnexpectedToken
from .errors import Span, TcalcSyntaxError

_EXPRESSION_START = {"NAME", "INT", "FLOAT", "STRING", "FSTRING", "LPAR", "LSQB", "LBRACE", "MINUS",
                     "PLUS", "TILDE", "NOT", "TRUE", "FALSE", "NONE", "ELLIPSIS", "LAMBDA"}
# Where an expression may start, so may `*xs` (in a call, a display or a target) and
# `**mapping` (in a call): they are part of "an expression" there.
_STARRED_START = {"STAR", "POW"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "DSLASH", "PERCENT", "AT", "POW", "BAR", "CARET",
              "AMP", "COMP_OP", "IF", "OR", "AND", "DOT", "LPAR", "LSQB"}
_WORDS = {
    "NAME": "a name", "INT": "a number", "FLOAT": "a number", "STRING": "a string",
    "_NL": "the end of the line", "$END": "the end of the input", "COMP_OP": "a comparison",
    "AUGOP": "an update such as '+='", "ELLIPSIS": "'...'", "FSTRING": "an f-string",
    "_INDENT": "an indented block", "_DEDENT": "the end of the block", "MAGIC": "an IPython magic",
}
_CLOSER = {"(": ")", "[": "]", "{": "}"}
_OPENER = {")": "(", "]": "[", "}": "{"}
_LOOKALIKES = {
    "×": "*", "·": "* (or @ for a matrix product)", "÷": "/", "−": "-", "–": "-", "—": "-",
    "²": "** 2", "³": "** 3", "√": "sqrt(x)", "≤": "<=", "≥": ">=", "≠": "!=", "…": "...",
    "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": "a plain space", "（": "(", "）": ")",
    "，": ",", "＝": "=", "!": "`not x`, or != to compare", "：": ":",
    "`": "'text' for a string", "?": "`a if condition else b`",
    "$": "a name such as x", "\\": "a backslash only at the very end of a line, to continue it",
}
_PYTHON_STATEMENTS = {
    "print": "print is a function: print(x)",
    "exec": "tcalc has no exec",
}
# The header of each compound statement, for "expected an indented block after ...".
_BLOCK_HEADERS = ("if", "elif", "else", "for", "while", "def", "with")


def syntax_error(err: ParseError, text: str, literals: dict[str, str]) -> TcalcSyntaxError:
    """The TcalcSyntaxError (message, span, hint) for the parser's error `err` in `text`.
    `literals`: terminal -> its text, for the terminals that are plain strings."""
    line, column = max(err.line, 1), max(err.column, 1)
    width, hint = 1, None
    opened = err.open_bracket
    if isinstance(err, UnexpectedToken):
        token = err.token
        kind = token.type
        # Where the state's lexer could not read the token, only what it could have read:
        # "an expression or the end of the line", not the keywords a name also covers.
        acceptable = err.expected if err.allowed is None else err.expected & err.allowed
        expected = _expected_words(acceptable, literals)
        if kind == "_INDENT":
            return TcalcSyntaxError("unexpected indent", _line_start(token),
                                    "indent only the statements of a block (after a line ending in ':')")
        if "_INDENT" in err.expected and kind != "_INDENT":
            header = _block_header(text, token)
            return TcalcSyntaxError(f"expected an indented block{header}", _line_start(token) if kind != "$END"
                                    else Span(line, column, line, column + 1),
                                    "indent the block's statements (4 spaces), or put one on the same line after ':'")
        if kind in ("$END", "_NL"):
            if opened is not None:
                return TcalcSyntaxError(f"'{opened}' was never closed",
                                        Span(opened.line, opened.column, opened.line, opened.column + 1),
                                        f"close it with '{_CLOSER[str(opened)]}'")
            found = "end of line" if kind == "_NL" else "end of input"
            line, column = _end_of_text_before(text, token)
        else:
            found = _token_words(token)
            width = max(len(str(token)), 1)
        message = f"unexpected {found}"
        if expected:
            hint = "expected " + _word_list(expected) + " here"
        hint = _token_hint(token, text, acceptable, opened) or hint
        if kind in ("RPAR", "RSQB", "RBRACE"):
            if opened is None:
                message = f"unmatched '{token}'"
                hint = f"remove it, or add the '{_OPENER[str(token)]}' it closes"
            elif _CLOSER[str(opened)] != str(token):
                message = f"'{token}' does not close '{opened}' (line {opened.line}, column {opened.column})"
                hint = f"close it with '{_CLOSER[str(opened)]}'"
    elif isinstance(err, IndentationProblem):
        return TcalcSyntaxError("unindent does not match any outer indentation level",
                                Span(err.line, 1, err.line, max(err.column, 2)),
                                "indent this line as far as a line of the block it belongs to")
    else:  # UnexpectedCharacters: no terminal matches here
        char = text[err.pos] if err.pos < len(text) else ""
        message = f"unexpected character {char!r}" + (f" (U+{ord(char):04X})" if char and not char.isascii() else "")
        if char in "'\"":
            opening = triple_quote_opening(text, err.pos)
            if opening is not None:
                message = "unterminated triple-quoted string literal"
                hint = f"close it with {char * 3}"
                column -= err.pos - opening
                width = 3
            else:
                message = "unterminated string"
                hint = "close the string with the same quote on the same line"
        elif char in _LOOKALIKES:
            hint = f"write {_LOOKALIKES[char]}"
        elif err.allowed:
            words = _expected_words(err.allowed, literals)
            hint = ("expected " + _word_list(words) + " here") if words else None
    return TcalcSyntaxError(message, Span(line, column, line, column + width), hint)


def triple_quote_opening(text: str, pos: int) -> int | None:
    """Where the triple quote opens when the lexer stopped at the quote at `pos`: it reads
    the first two quotes of an unclosed triple quote as an empty string. None for another."""
    char, opening = text[pos], pos
    while opening > 0 and text[opening - 1] == char and pos - opening < 2:
        opening -= 1
    return opening if text.startswith(char * 3, opening) else None


def _describe(token_type: str, literals: dict[str, str]) -> str:
    if token_type in _WORDS:
        return _WORDS[token_type]
    literal = literals.get(token_type)
    return f"'{literal}'" if literal is not None else token_type.lower()


def _expected_words(expected, literals: dict[str, str]) -> list[str]:
    expected = {t for t in expected if not t.startswith("__")}
    words = []
    if "NAME" in expected and "INT" in expected:
        words.append("an expression")
        expected -= _EXPRESSION_START | _STARRED_START
    operators = expected & _OPERATORS
    if len(operators) >= 5:
        expected -= _OPERATORS
        if "EQUAL" in expected or "AUGOP" in expected:
            expected -= {"EQUAL", "AUGOP"}
        expected.discard("SEMI")
    for t in sorted(expected, key=lambda t: (t in ("_NL", "$END"), _describe(t, literals))):
        word = _describe(t, literals)
        if word not in words:
            words.append(word)
    if len(operators) >= 5:
        words.append("an operator")
    return words


def _word_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _token_words(token) -> str:
    kind, text = token.type, str(token)
    if kind == "NAME":
        return f"name '{text}'"
    if kind in ("INT", "FLOAT"):
        return f"number {text}"
    if kind == "STRING":
        return "string " + (text if len(text) <= 20 else text[:17] + "...")
    if kind.isupper() and text.isalpha() and text.islower():  # if, else, in, return, ...
        return f"keyword '{text}'"
    return f"'{text}'"


def _token_hint(token, text: str, expected: set[str], opened) -> str | None:
    """What to write instead, for the usual slips. `expected`: the terminals that could
    have come instead of `token`; `opened`: the innermost bracket open before it."""
    kind, before = token.type, text[: token.start_pos or 0]
    previous = before.rstrip()[-1:] if before.rstrip() else ""
    words = before.split()
    if words and words[-1] in _PYTHON_STATEMENTS and kind not in ("LPAR", "EQUAL", "AUGOP", "DOT"):
        return _PYTHON_STATEMENTS[words[-1]]
    if kind in _EXPRESSION_START - {"MINUS", "PLUS", "LPAR", "LSQB", "NOT"} and (
            "COMMA" in expected or _OPERATORS & expected):
        if kind == "NAME" and before[-1:].isdigit():
            return f"write {before.split()[-1] if before.split() else ''} * {token}: multiplication needs *"
        if "RSQB" in expected or "RPAR" in expected:
            return "missing ',' between the items?"
        return "missing an operator between the two?"
    if kind == "EQUAL" and before[-1:] in ("=", "<", ">", "!"):
        return "to compare, write =="
    if kind == "EQUAL" and "COMP_OP" in expected:
        return "to compare, write ==; to name a value, put the name on the left: x = ..."
    if kind in ("AMP", "BAR") and previous in "&|":
        return "write `and` / `or` for truth values (one & or | is elementwise on tensors)"
    if kind == "COLON" and opened is None and not before.lstrip().startswith(_BLOCK_HEADERS):
        return "only if, elif, else, for, while, def and with end their line with ':'"
    return None


def _line_start(token) -> Span:
    """The start of the line where `token` ends: for an _INDENT (placed on the newline
    before it) the indented line, else the token's own line."""
    return Span(token.end_line, 1, token.end_line, max(token.end_column, 2))


def _block_header(text: str, token) -> str:
    """" after 'for' statement on line 3", for the block header before `token`."""
    lines = text[: token.start_pos or 0].split("\n")
    for number in range(len(lines), 0, -1):  # the last line with code on it
        code = lines[number - 1].split("#")[0].strip()
        if code:
            word = code.split()[0].rstrip(":")
            if code.endswith(":") and word in _BLOCK_HEADERS:
                kind = {"def": "function definition"}.get(word, f"'{word}' statement")
                return f" after {kind} on line {number}"
            return ""
    return ""


def _end_of_text_before(text: str, token) -> tuple[int, int]:
    pos = token.start_pos if token.start_pos is not None else len(text)
    before = text[:pos].rstrip("\r\n")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return line, column
