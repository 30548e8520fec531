"""tcalc's LALR(1) parser: runs the tables generated from grammar/tcalc.lark
(tcalc/_grammar_tables.py, written by tools/gen_parser_tables.py), without importing lark.

It does what lark's LALR parser does with the options tcalc uses (contextual lexer,
propagate_positions, maybe_placeholders, the post-lexer below) and gives the same answers:
for a program the same tree (node names, children, positions); for other text the same
error at the same token, with the same terminals expected. tests/test_parser_tables.py
checks both against lark.

A parse runs three stages, each pulling from the one before: the lexer (contextual: it
reads only the terminals the parser's current state takes), the post-lexer, and the LALR
loop.
"""
from __future__ import annotations

import re
from operator import itemgetter


class Token(tuple):
    """A terminal: `type`, the text (str(token)), and where it is.

    A tuple underneath, which the lexer makes in one C call (`_new_tuple(Token, fields)`):
    a slotted class's __init__ cost a Python call for each of a script's tokens."""

    __slots__ = ()

    type = property(itemgetter(0))
    value = property(itemgetter(1))
    start_pos = property(itemgetter(2))
    line = property(itemgetter(3))
    column = property(itemgetter(4))
    end_line = property(itemgetter(5))
    end_column = property(itemgetter(6))
    end_pos = property(itemgetter(7))
    where = property(itemgetter(8))  # (start, end), each line << 32 | column, as AST nodes keep it

    def __new__(cls, type_, value, start_pos, line, column, end_line, end_column, end_pos):
        return tuple.__new__(cls, (type_, value, start_pos, line, column, end_line, end_column, end_pos,
                                   (line << 32 | column, end_line << 32 | end_column)))

    def __str__(self):
        return self[1]

    def __repr__(self):
        return f"Token({self[0]!r}, {self[1]!r})"


_new_tuple = tuple.__new__

# Spaces between tokens, which parse_fast skips before asking the state's lexer: WS is
# ignored by every lexer and is the only terminal that can start with a space (a grammar
# where that stops being true fails tests/test_fast_parse.py). A third of the lexer's
# matches were these.
_BLANKS = re.compile("[ \t\f]+").match


class Tree:
    """A rule's node: `data`, `children`, and the positions of its first and last token,
    as lark's propagate_positions gives them (none when it is `empty` of tokens)."""

    __slots__ = ("data", "children", "line", "column", "start_pos", "end_line", "end_column", "end_pos",
                 "empty", "height")

    def __init__(self, data, children):
        self.data = data
        self.children = children
        self.empty = True
        self.height = 0  # the longest chain of nodes below this one

    def __repr__(self):
        return f"Tree({self.data!r}, {self.children!r})"


# ---- syntax errors -----------------------------------------------------------------------

class ParseError(Exception):
    """The text is not in the language. Where the parser stopped (`pos`, `line`, `column`),
    and what tcalc.syntax_errors needs to explain it:

    - `expected`: the terminals the parser's state could take there (its action table);
    - `allowed`: when the lexer stopped, the terminals the state's lexer tried (lark's
      `allowed`), else None;
    - `open_bracket`: the innermost '(' or '[' token still open before the error, or None.
    """

    def __init__(self, pos, line, column, expected, allowed=None):
        super().__init__()
        self.pos, self.line, self.column = pos, line, column
        self.expected = expected
        self.allowed = allowed
        self.open_bracket = None


class UnexpectedToken(ParseError):
    """`token` cannot come where it is ("$END" for the end of the input). If the state's
    lexer could not read it (the token was then read with all the terminals, as lark does,
    to name it), `allowed` says what that lexer could read."""

    def __init__(self, token, expected, allowed=None):
        super().__init__(token.start_pos, token.line, token.column, expected, allowed)
        self.token = token

    def __str__(self):
        return (f"unexpected {self.token.type} {self.token.value!r} at line {self.line}, column {self.column};"
                f" expected one of {sorted(self.allowed or self.expected)}")


class UnexpectedCharacters(ParseError):
    """No terminal matches the text at `pos`."""

    def __str__(self):
        return f"no terminal matches at line {self.line}, column {self.column}; expected one of {sorted(self.allowed)}"


# ---- post-lexer --------------------------------------------------------------------------

class IndentationProblem(ParseError):
    """A line's indentation matches no enclosing block's (`unindent does not match any
    outer indentation level`): `token` is the newline before that line."""

    def __init__(self, token, expected):
        super().__init__(token.end_pos, token.end_line, token.end_column, expected)
        self.token = token


class Layout:
    """The post-lexer the grammar is written for, Python's rules of layout:

    - inside ( ), [ ] and { } a newline does not end the statement; it keeps the open
      brackets, innermost last, for the errors ("'(' was never closed");
    - after a newline (whose token ends with the next line's indentation), a deeper
      indentation than the enclosing block's opens a block (_INDENT) and a shallower one
      closes blocks (one _DEDENT each) back to the one it matches; the end of the input
      closes every open block. Blank and comment-only lines do not count (the newline
      token takes them in). Tabs go to the next multiple of 8, as in Python.

    It has lark's post-lexer interface (`process`, `always_accept`), so that the lark
    parser the tables are built from (tcalc/_table_builder.py), which tests/ compare with,
    runs this same rule.
    """

    always_accept = ("_NL",)  # every state's lexer reads a newline, so that it reaches here

    def __init__(self):
        self.open_brackets: list = []

    def process(self, tokens):
        open_brackets = self.open_brackets = []
        levels = [0]  # the indentation of each open block, innermost last
        token = None
        for token in tokens:
            kind = token.type
            # The stack changes once the parser has taken the token: an error at a bracket
            # is explained with the brackets before it.
            if kind in _OPENERS:
                yield token
                open_brackets.append(token)
            elif kind in _CLOSERS:
                yield token
                if open_brackets:
                    open_brackets.pop()
            elif kind != "_NL":
                yield token
            elif not open_brackets:
                yield token
                value = token.value
                line = value[value.rfind("\n") + 1:]
                indent = len(line.expandtabs(8)) if "\t" in line else len(line)
                if indent > levels[-1]:
                    levels.append(indent)
                    yield _make(token, "_INDENT", line)
                elif indent < levels[-1]:
                    while indent < levels[-1]:
                        levels.pop()
                        yield _make(token, "_DEDENT", "")
                    if indent != levels[-1]:
                        raise IndentationProblem(token, frozenset())
        while len(levels) > 1 and token is not None:
            levels.pop()
            yield _make(token, "_DEDENT", "")


_OPENERS = frozenset({"LPAR", "LSQB", "LBRACE"})
_CLOSERS = frozenset({"RPAR", "RSQB", "RBRACE"})


def _make(like, kind: str, value: str):
    """A token the post-lexer adds, where the newline `like` is (as lark's Indenter places
    it): a tcalc token, or lark's when lark runs this post-lexer."""
    if like.__class__ is Token:
        return Token(kind, value, like.start_pos, like.line, like.column, like.end_line,
                     like.end_column, like.end_pos)
    return like.new_borrow_pos(kind, value, like)


# ---- lexer -------------------------------------------------------------------------------

class _Lexer:
    """One lexer of the contextual lexer: lark's terminals for a set of parser states, tried
    in lark's order, and the keywords lark tells apart from names after matching.

    lark joins them into one regex (an alternation: the first terminal that matches wins);
    this lexer tries them one by one, in the same order, and at each character only those
    that can start with it (`starts`, worked out when the tables are made), so that each
    terminal's pattern is compiled once for every lexer, when first tried: compiling each
    lexer's whole alternation took 9 ms of a one-line `tcalc -e` (three lexers), more than
    the rest of its parse, and a script compiled tens of them."""

    __slots__ = ("terminals", "compiled", "by_character", "ignore", "keyword_terminal", "keywords",
                 "allowed")

    def __init__(self, spec, starts: dict, compiled):
        self.terminals = [(name, starts[name]) for name, _ in spec["terminals"]]
        self.compiled = compiled  # terminal -> its pattern's match, shared by the parser's lexers
        # character -> ((terminal, its compiled match), ...) to try there, in lark's order
        self.by_character: dict = {}
        self.ignore = frozenset(spec["ignore"])
        keywords = spec["keywords"]
        self.keyword_terminal = keywords["terminal"] if keywords else None
        self.keywords = keywords["words"] if keywords else {}
        # What it reads besides the ignored terminals: what an error says it expected.
        self.allowed = frozenset(name for name, _ in spec["terminals"]) - self.ignore or frozenset({"<END-OF-FILE>"})

    def candidates(self, character: str) -> tuple:
        """The terminals to try at `character`, each with its pattern's match."""
        ascii_ = character < "\x80"
        found = self.by_character[character] = tuple(
            (name, self.compiled(name))
            for name, start in self.terminals
            if start is None or (character in start[0] if ascii_ else start[1]))
        return found

    def match(self, text: str, pos: int):
        """(terminal, match) of the first terminal that matches at `pos`, or None."""
        for kind, match in self.by_character.get(text[pos]) or self.candidates(text[pos]):
            m = match(text, pos)
            if m is not None:
                return kind, m
        return None


class Parser:
    """The parser of one grammar's tables (tcalc/_table_builder.py describes them)."""

    def __init__(self, tables: dict):
        self.start_state = tables["start_state"]
        self.end_state = tables["end_state"]
        self.lexer_specs = tables["lexers"]
        count = len(tables["actions"])
        self.state_lexer = list(tables["state_lexer"])
        self.root_lexer = tables["root_lexer"]  # every terminal: to name what a state's lexer cannot read
        self.actions = tables["actions"]  # state -> {symbol: code} (read, never changed)
        self.rules = tables["rules"]
        self.literals = tables["literals"]  # terminal -> its text, for the terminals that are plain strings
        self.lexers: dict[int, _Lexer] = {}  # made on first use
        self.starts = tables["starts"]
        self.patterns = {name: regexp for spec in self.lexer_specs for name, regexp in spec["terminals"]}
        self.matches: dict = {}  # terminal -> its compiled pattern's match, on first use
        self.state_lexers: list = [None] * count  # parser state -> its lexer, once compiled
        # A `?rule` with one child hands it on unchanged: only the state changes. From the
        # state below, the state on top and the lookahead, where a chain of them ends is
        # always the same, so it is remembered.
        self.units = frozenset(-i - 1 for i, rule in enumerate(self.rules) if rule[3])
        self.chains: dict = {}
        self.gotos: dict = {}  # (state below, rule, lookahead) -> the state after, for parse_fast
        self._tree_builders = None  # made when a tree is first asked for

    @property
    def reductions(self) -> dict:
        """code -> (origin, size, builder) of the tree (parse): parse_fast, which most
        parses take, has no use for them."""
        if self._tree_builders is None:
            self._tree_builders = {-i - 1: (rule[0], rule[1], _builder(*rule[2:]))
                                   for i, rule in enumerate(self.rules)}
        return self._tree_builders

    def _lexer(self, index: int) -> _Lexer:
        lexer = self.lexers.get(index)
        if lexer is None:
            lexer = self.lexers[index] = _Lexer(self.lexer_specs[index], self.starts, self._compiled)
        return lexer

    def _compiled(self, terminal: str):
        match = self.matches.get(terminal)
        if match is None:
            match = self.matches[terminal] = re.compile(self.patterns[terminal]).match
        return match

    def _state_lexer(self, state: int) -> _Lexer:
        lexer = self.state_lexers[state] = self._lexer(self.state_lexer[state])
        return lexer

    def expected(self, state: int) -> frozenset:
        """The terminals parser state `state` can take (the rest of its row are rules)."""
        return frozenset(symbol for symbol in self.actions[state] if symbol.isupper())

    def parse(self, text: str) -> Tree:
        """The tree of `text`, or a ParseError: lexer -> post-lexer -> LALR loop."""
        states = [self.start_state]
        post_lexer = Layout()
        try:
            return self._parse(post_lexer.process(self._tokens(text, states)), states)
        except ParseError as err:
            if post_lexer.open_brackets:
                err.open_bracket = post_lexer.open_brackets[-1]
            raise

    def _tokens(self, text: str, states: list):
        """The lexer: the tokens of `text`, each read with the lexer of the parser's state
        at that moment (`states[-1]`)."""
        state_lexers, state_lexer = self.state_lexers, self._state_lexer
        pos, line, line_start = 0, 1, 0
        size = len(text)
        while pos < size:
            state = states[-1]
            lexer = state_lexers[state] or state_lexer(state)
            found = lexer.match(text, pos)
            if found is None:
                raise self._lexer_error(text, pos, line, line_start, state, lexer)
            kind, m = found
            value = m.group()
            if "\n" in value:
                start, column, start_line = pos, pos - line_start + 1, line
                line += value.count("\n")
                line_start = pos + value.rindex("\n") + 1
                pos += len(value)
                if kind in lexer.ignore:
                    continue
            else:
                if kind in lexer.ignore:
                    pos += len(value)
                    continue
                start, column, start_line = pos, pos - line_start + 1, line
                pos += len(value)
            if kind == lexer.keyword_terminal:
                kind = lexer.keywords.get(value, kind)
            end_column = pos - line_start + 1
            yield _new_tuple(Token, (kind, value, start, start_line, column, line, end_column, pos,
                                     (start_line << 32 | column, line << 32 | end_column)))

    def _lexer_error(self, text, pos, line, line_start, state, lexer) -> ParseError:
        """The state's lexer reads nothing at `pos`. As lark: if a terminal of another state
        matches there, the error is that token, unexpected; else no terminal matches."""
        column = pos - line_start + 1
        root = self._lexer(self.root_lexer)
        found = root.match(text, pos)
        if found is None:
            return UnexpectedCharacters(pos, line, column, self.expected(state), lexer.allowed)
        kind, m = found
        value = m.group()
        if kind == root.keyword_terminal:
            kind = root.keywords.get(value, kind)
        end_line = line + value.count("\n")
        end_column = len(value) - value.rindex("\n") if "\n" in value else column + len(value)
        token = Token(kind, value, pos, line, column, end_line, end_column, pos + len(value))
        return UnexpectedToken(token, self.expected(state), lexer.allowed)

    def _parse(self, tokens, states: list) -> Tree:
        """The LALR loop: feed each token, then the end of the input, reducing as the table
        says until the token is shifted (or the input accepted)."""
        actions, reductions, units, chains = self.actions, self.reductions, self.units, self.chains
        end_state = self.end_state
        values: list = []
        token = None
        for token in tokens:
            kind = token.type
            while True:
                state = states[-1]
                code = actions[state].get(kind)
                if code is None:
                    raise UnexpectedToken(token, self.expected(state))
                if code >= 0:
                    states.append(code)
                    values.append(token)
                    break
                if code in units and len(states) > 1:
                    key = (states[-2], state, kind)
                    end = chains.get(key)
                    if end is None:
                        end = chains[key] = self._chain_end(states[-2], state, kind)
                    if end != state:
                        states[-1] = end
                        continue
                origin, n, build = reductions[code]
                if n:
                    children = values[-n:]
                    del states[-n:]
                    del values[-n:]
                else:
                    children = []
                states.append(actions[states[-1]][origin])
                values.append(build(children))
        # The end of the input, where the last token was (as lark places it).
        end = Token("$END", "", *_position(token)) if token is not None else Token("$END", "", 0, 1, 1, 1, 1, 0)
        while True:
            state = states[-1]
            code = actions[state].get("$END")
            if code is None or code >= 0:  # nothing is shifted at the end
                raise UnexpectedToken(end, self.expected(state))
            origin, n, build = reductions[code]
            if n:
                children = values[-n:]
                del states[-n:]
                del values[-n:]
            else:
                children = []
            node = build(children)
            new_state = actions[states[-1]][origin]
            if new_state == end_state:
                return node
            states.append(new_state)
            values.append(node)

    def parse_fast(self, text: str, actions: dict):
        """What `actions` build of `text`: the same lexer, post-lexer and LALR loop as
        `parse`, written as one loop without a tree, for tcalc.parser's fast path.

        `actions[code]` is (origin, size, kind, action) for each reduction code: `action(children,
        where)` makes the value of the rule's symbols (None: the rule hands on its one child),
        `where` being (start, end), each `line << 32 | column`. `kind` says how the
        rule's height counts as Tree.height does: TREE, LIST (a `__rule_star` list, as
        high as its items), BINOP. Returns (value, height) of the whole text. On any syntax
        error raises a ParseError without its details: the caller parses again with `parse`
        to explain it.
        """
        table, reductions, gotos = self.actions, actions, self.gotos
        state_lexers, state_lexer = self.state_lexers, self._state_lexer
        end_state = self.end_state
        states, values, wheres, heights = [self.start_state], [], [], []
        pending = []  # the _INDENT and _DEDENT tokens the post-lexer adds after a newline
        levels = [0]  # the indentation of each open block
        brackets = 0  # open ( [ {, inside which newlines are nothing
        pos, line, line_start = 0, 1, 0
        base = 1 << 32 | 1  # base + offset: the place (line << 32 | column) of an offset on this line
        size = len(text)
        token = kind = None
        new = _new_tuple
        blanks = _BLANKS
        try:
            while True:
                if pending:
                    token = pending.pop()
                    kind = token[0]
                elif pos < size:
                    if text[pos] == " ":  # see _BLANKS
                        pos = blanks(text, pos).end()
                        continue
                    state = states[-1]
                    lexer = state_lexers[state] or state_lexer(state)
                    for kind, match in lexer.by_character.get(text[pos]) or lexer.candidates(text[pos]):
                        m = match(text, pos)
                        if m is not None:
                            break
                    else:  # (written out: a method call here would cost a call a token)
                        raise ParseError(pos, line, pos - line_start + 1, frozenset())
                    value = m.group()
                    start = pos
                    pos = m.end()
                    if "\n" in value:
                        start_line, column, where = line, start - line_start + 1, base + start
                        line += value.count("\n")
                        line_start = start + value.rindex("\n") + 1
                        base = (line << 32) - line_start + 1
                        if kind in lexer.ignore:
                            continue
                        where = (where, base + pos)
                    elif kind in lexer.ignore:
                        continue
                    else:
                        start_line, column, where = line, start - line_start + 1, (base + start, base + pos)
                    if kind == lexer.keyword_terminal:
                        kind = lexer.keywords.get(value, kind)
                    token = new(Token, (kind, value, start, start_line, column, line, pos - line_start + 1, pos, where))
                    if kind in _OPENERS:
                        brackets += 1
                    elif kind in _CLOSERS:
                        if brackets:
                            brackets -= 1
                    elif kind == "_NL":
                        if brackets:
                            continue
                        value = value[value.rfind("\n") + 1:]
                        indent = len(value.expandtabs(8)) if "\t" in value else len(value)
                        if indent > levels[-1]:
                            levels.append(indent)
                            pending.append(new(Token, ("_INDENT", value, *token[2:])))
                        elif indent < levels[-1]:
                            while indent < levels[-1]:
                                levels.pop()
                                pending.append(new(Token, ("_DEDENT", "", *token[2:])))
                            if indent != levels[-1]:
                                raise ParseError(token[7], token[5], token[6], frozenset())
                elif len(levels) > 1 and token is not None:
                    levels.pop()
                    token = new(Token, ("_DEDENT", "", *token[2:]))
                    kind = "_DEDENT"
                elif kind != "$END":
                    kind = "$END"  # the end of the input: reduce until the start rule is done
                else:
                    raise ParseError(size, line, pos - line_start + 1, frozenset())
                while True:
                    state = states[-1]
                    code = table[state][kind]  # (a KeyError: nothing can come here)
                    if code >= 0:
                        if kind == "$END":  # nothing is shifted at the end
                            raise ParseError(pos, line, pos - line_start + 1, frozenset())
                        states.append(code)
                        values.append(token)
                        wheres.append(token[8])
                        heights.append(-2)  # a token: no height
                        break
                    origin, n, height_rule, action = reductions[code]
                    if action is None:  # the one child, handed on
                        value, height = values[-1], heights[-1]
                        del states[-1]
                    elif n == 1:  # the node replaces its one symbol, at the same place
                        where = wheres[-1]
                        value = values[-1] = action(values[-1:], where)
                        height = heights[-1]
                        height = heights[-1] = ((height >> 1) + (height_rule is TREE)) << 1
                        del states[-1]
                    else:
                        if n:
                            children = values[-n:]
                            where = (wheres[-n][0], wheres[-1][1])
                            if height_rule is TREE:
                                height = ((max(heights[-n:]) >> 1) + 1) << 1
                            elif height_rule is LIST:
                                height = (max(heights[-n:]) >> 1) << 1
                            else:  # BINOP: a left operand that is a binop is at its own height
                                left = heights[-3]
                                height = max((left >> 1) + (~left & 1), (heights[-1] >> 1) + 1) << 1 | 1
                            del states[-n:], values[-n:], wheres[-n:], heights[-n:]
                        else:
                            children, where, height = [], (1 << 32 | 1, 1 << 32 | 1), 0
                        value = action(children, where)
                        values.append(value)
                        wheres.append(where)
                        heights.append(height)
                    # The goto and the unit chain after it, in one look-up (see _goto).
                    key = (states[-1], origin, kind)
                    goto = gotos.get(key)
                    if goto is None:
                        goto = gotos[key] = self._goto(states[-1], origin, kind)
                    if goto == end_state:
                        return value, height >> 1
                    states.append(goto)
        except KeyError:  # the state takes no such token: a syntax error
            raise ParseError(pos, line, pos - line_start + 1, frozenset()) from None

    def _goto(self, below, origin, kind):
        """parse_fast's state after a reduction to `origin` on top of state `below`, the
        lookahead being `kind`: the goto, and then where the unit chain from there ends
        (so a unit reduction never takes a turn of its loop). A unit rule's symbol is a
        rule, never a token: a chain starts only after a goto."""
        goto = self.actions[below][origin]
        return goto if goto == self.end_state else self._chain_end(below, goto, kind)

    def _chain_end(self, below, state, kind):
        """Follow unit reductions from `state` (on top of `below`) while the lookahead
        `kind` asks for them; the state where something else happens."""
        actions, units, end_state = self.actions, self.units, self.end_state
        while True:
            code = actions[state].get(kind)
            if code is None or code >= 0 or code not in units:
                return state
            new_state = actions[below][self.rules[-code - 1][0]]
            if new_state == end_state:
                return state
            state = new_state


def _position(token: Token) -> tuple:
    return (token.start_pos, token.line, token.column, token.end_line, token.end_column, token.end_pos)


CHAIN = "binop"  # the node of a left-associative operator chain

# How a rule's node counts for Tree.height, in parse_fast (tokens count -1; heights are
# kept doubled, the low bit saying "a binop").
TREE = "tree"  # one more than its highest child
LIST = "list"  # a `__rule_star` list: as high as its highest item
BINOP = "binop"  # one more than its right operand, and than its left unless that is a binop


def _builder(name, expand1, include, nones_after):
    """lark's tree builder for one rule (child filter, ExpandSingleChild, positions), as a
    function of the rule's symbols' values."""
    plain = not nones_after and all(not inline and not nones for _, inline, nones in include)
    indices = tuple(i for i, _, _ in include)
    # A child inlined here (a `__rule_star` list) brings its children, and their height.
    inlined = tuple(i for i, inline, _ in include if inline)
    kept = tuple(i for i, inline, _ in include if not inline)
    # `a + b + c` is a chain, not nesting: a binop's left operand that is a binop is at its
    # own height (the AST pass and the evaluator follow such chains in a loop).
    chain = kept[0] if name == CHAIN and kept else None

    if not plain:
        pick = None
    elif not indices:
        pick = lambda children: []  # noqa: E731
    elif len(indices) == 1:
        only = indices[0]
        pick = lambda children: [children[only]]  # noqa: E731
    else:
        getter = itemgetter(*indices)
        pick = lambda children: list(getter(children))  # noqa: E731

    def build(children):
        if pick is None:
            filtered = _filter(children, include, nones_after)
        elif len(indices) == len(children):
            filtered = children
        else:
            filtered = pick(children)
        if expand1 and len(filtered) == 1:
            return filtered[0]  # its positions are already its own
        node = Tree(name, filtered)
        height = 0
        for i in kept:
            child = children[i]
            if child.__class__ is Tree and child.height >= height:
                height = child.height + (i != chain or child.data != CHAIN)
        for i in inlined:
            if children[i].height > height:
                height = children[i].height
        node.height = height
        for child in children:
            if child is not None and not (child.__class__ is Tree and child.empty):
                node.line, node.column, node.start_pos = child.line, child.column, child.start_pos
                node.empty = False
                break
        else:
            return node
        for child in reversed(children):
            if child is not None and not (child.__class__ is Tree and child.empty):
                node.end_line, node.end_column, node.end_pos = child.end_line, child.end_column, child.end_pos
                break
        return node

    return build


def _filter(children, include, nones_after):
    filtered = []
    for i, inline, nones in include:
        if nones:
            filtered += [None] * nones
        if inline:
            if filtered:
                filtered += children[i].children
            else:
                filtered = children[i].children
        else:
            filtered.append(children[i])
    if nones_after:
        filtered += [None] * nones_after
    return filtered
