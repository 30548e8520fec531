"""tcalc's own LALR(1) runtime: runs the tables tools/gen_parser_tables.py generates from
grammar/tcalc.lark, without importing lark.

It does what lark's parser does with the options tcalc uses (LALR, contextual lexer,
propagate_positions, maybe_placeholders, the post-lexer that drops newlines inside brackets)
and gives the same tree: same node names, same children, same positions. It only knows how
to succeed: on any syntax error it raises SyntaxFallback, and tcalc.parser parses the text
again with lark, whose errors (messages, places, expected terminals) tcalc reports.
tests/test_parser_tables.py checks that both give the same AST.
"""
from __future__ import annotations

import re
from operator import itemgetter


class SyntaxFallback(Exception):
    """The text is not in the language (or not parsed here): ask lark."""


class Token:
    """A terminal: `type`, the text (str(token)), and where it is."""

    __slots__ = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")

    def __init__(self, type_, value, start_pos, line, column, end_line, end_column, end_pos):
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.end_pos = end_pos

    def __str__(self):
        return self.value

    def __repr__(self):
        return f"Token({self.type!r}, {self.value!r})"


class Tree:
    """A rule's node: `data`, `children`, and lark's propagated positions. `meta` is the
    node itself, so code written for lark trees (tree.meta.line) reads it too."""

    __slots__ = ("data", "children", "line", "column", "start_pos", "end_line", "end_column", "end_pos",
                 "empty", "height")

    def __init__(self, data, children):
        self.data = data
        self.children = children
        self.empty = True
        self.height = 0  # the longest chain of nodes below this one

    @property
    def meta(self):
        return self

    def __repr__(self):
        return f"Tree({self.data!r}, {self.children!r})"


class _Lexer:
    """One state's lexer: lark's terminals for that state, tried in lark's order."""

    __slots__ = ("match", "ignore", "keyword_terminal", "keywords")

    def __init__(self, spec):
        pattern = "|".join(f"(?P<{name}>{regexp})" for name, regexp in spec["terminals"])
        self.match = re.compile(pattern).match
        self.ignore = frozenset(spec["ignore"])
        keywords = spec["keywords"]
        self.keyword_terminal = keywords["terminal"] if keywords else None
        self.keywords = keywords["words"] if keywords else {}


class Parser:
    def __init__(self, tables: dict):
        self.start_state = tables["start_state"]
        self.end_state = tables["end_state"]
        self.specs = tables["lexers"]
        count = len(tables["actions"])
        assert sorted(tables["actions"]) == list(range(count))
        self.state_lexer = [tables["state_lexer"][s] for s in range(count)]
        self.actions = [tables["actions"][s] for s in range(count)]
        self.rules = tables["rules"]
        self.lexers: dict[int, _Lexer] = {}  # compiled on first use
        self.state_lexers: list = [None] * count  # parser state -> its lexer, once compiled
        # A `?rule` with one child hands it on unchanged: only the state changes. From the
        # state below, the state on top and the lookahead, where a chain of them ends is
        # always the same, so it is remembered.
        self.units = frozenset(-i - 1 for i, rule in enumerate(self.rules) if rule[3])
        self.chains: dict = {}
        # code -> (origin, size, builder)
        self.reductions = {-i - 1: (rule[0], rule[1], _builder(*rule[2:]))
                           for i, rule in enumerate(self.rules)}

    def _lexer(self, state: int) -> _Lexer:
        index = self.state_lexer[state]
        lexer = self.lexers.get(index)
        if lexer is None:
            lexer = self.lexers[index] = _Lexer(self.specs[index])
        self.state_lexers[state] = lexer
        return lexer

    def parse(self, text: str) -> Tree:
        actions, reductions, units, chains = self.actions, self.reductions, self.units, self.chains
        state_lexers, get_lexer = self.state_lexers, self._lexer
        end_state = self.end_state
        states = [self.start_state]
        values: list = []
        pos, line, line_start, depth = 0, 1, 0, 0
        size = len(text)
        while True:
            # ---- the next token, lexed in the parser's current state (contextual lexer)
            if pos < size:
                state = states[-1]
                lexer = state_lexers[state] or get_lexer(state)
                m = lexer.match(text, pos)
                if m is None:
                    raise SyntaxFallback
                kind = m.lastgroup
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
                # post-lexer: inside ( ) and [ ] a newline does not end a statement
                if kind == "LPAR" or kind == "LSQB":
                    depth += 1
                elif kind == "RPAR" or kind == "RSQB":
                    depth = depth - 1 if depth else 0
                elif kind == "_NL" and depth:
                    continue
                token = Token(kind, value, start, start_line, column, line, pos - line_start + 1, pos)
                is_end = False
            else:
                kind, token, is_end = "$END", None, True
            # ---- feed it: reduce until it is shifted (or the input is accepted)
            while True:
                state = states[-1]
                code = actions[state].get(kind)
                if code is None:
                    raise SyntaxFallback
                if code >= 0:
                    if is_end:
                        raise SyntaxFallback
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
                node = build(children)
                new_state = actions[states[-1]][origin]
                states.append(new_state)
                values.append(node)
                if is_end and new_state == end_state:
                    return node

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


def _builder(name, expand1, include, nones_after):
    """lark's tree builder for one rule (child filter, ExpandSingleChild, positions), as a
    function of the rule's symbols' values."""
    plain = not nones_after and all(not inline and not nones for _, inline, nones in include)
    indices = tuple(i for i, _, _ in include)
    # A child inlined here (a `__rule_star` list) brings its children, and their height.
    inlined = tuple(i for i, inline, _ in include if inline)
    kept = tuple(i for i, inline, _ in include if not inline)

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
                height = child.height + 1
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
