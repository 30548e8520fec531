"""Builds the tables tcalc/_lalr.py runs, from the grammar, with lark: the one module of
tcalc that imports lark.

tools/gen_parser_tables.py writes them into tcalc/_grammar_tables.py at development time.
At run time this module is used only when those tables were made from another grammar
text (someone edited grammar/tcalc.lark and has not regenerated them): tcalc.parser then
builds them here, which costs 50-100 ms of LALR analysis, and tests/test_parser_tables.py
fails until they are regenerated.
"""
from __future__ import annotations

import re

from lark import Lark
from lark.lexer import PatternStr
from lark.parsers.lalr_analysis import Shift

from ._lalr import Layout

# How the grammar is compiled: the options tcalc/_lalr.py reproduces.
LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True,
                "maybe_placeholders": True}


def compile_grammar(text: str) -> Lark:
    """Lark's parser for the grammar `text`, with tcalc's post-lexer: LALR analysis, 50-100 ms."""
    return Lark(text, postlex=Layout(), **LARK_OPTIONS)


def build_tables(text: str) -> dict:
    """The runtime tables of the grammar `text`."""
    return runtime_tables(compile_grammar(text))


def runtime_tables(parser: Lark) -> dict:
    """What tcalc/_lalr.py needs to parse as `parser` does, as plain literals:

    - lexers: one per distinct contextual-lexer terminal set, each the ordered list of
      (terminal, regexp) lark's scanner tries, the terminals it ignores, and the keyword
      table lark's UnlessCallback applies to a regexp match (e.g. NAME 'if' -> IF);
    - state_lexer: index in lexers, for each parser state in turn;
    - root_lexer: index in lexers of the lexer of all terminals, which lark tries where a
      state's lexer reads nothing, to name the token that cannot come there;
    - actions: for each parser state in turn, its {symbol: code} dict: code >= 0 shift/goto
      to that state, code < 0 reduce by rule -code - 1;
    - rules: (origin, size, tree name, expand1, [(index, inline, nones before)], nones after),
      lark's child filter and ExpandSingleChild for each rule;
    - literals: terminal -> its text, for the terminals that are plain strings;
    - starts: terminal -> what a match of it can start with (first_characters), by which
      the lexer tries at each character only the terminals that can match there.

    The per-state actions are dict literals, which the compiled module builds presized from
    a tuple of its keys (shared by the states with the same symbols): by callgrind, 5.7M
    instructions to load the 7,700 actions, against 8.5M for tuples of (symbol, code) pairs
    made into dicts at start. (Without a .pyc, the module is compiled at each start: a dict
    literal costs more there, which is no run's case once tcalc is installed.)
    """
    frontend = parser.parser
    contextual = frontend.lexer.lexer  # PostLexConnector -> ContextualLexer
    lalr = frontend.parser.parser  # LALR_Parser -> _Parser
    table = lalr.parse_table
    canonical_ids = _canonical_state_ids(table)
    states = sorted(table.states, key=canonical_ids.get)
    rules = sorted({arg for actions in table.states.values() for action, arg in actions.values()
                    if action is not Shift}, key=lambda r: (r.origin.name, r.order, str(r)))
    rule_id = {rule: i for i, rule in enumerate(rules)}

    lexers, lexer_id = [], {}
    ignore = set(parser.lexer_conf.ignore)

    def lexer_index(basic) -> int:
        scanner = basic.scanner  # builds lark's terminal order and keyword callbacks
        keywords = {}
        for name, callback in basic.callback.items():
            for term in callback.scanner.terminals:
                assert isinstance(term.pattern, PatternStr) and not term.pattern.flags
                keywords[str(term.pattern.value)] = str(term.name)
            keywords = {"terminal": str(name), "words": dict(sorted(keywords.items()))}
        spec = {"terminals": [(str(t.name), t.pattern.to_regexp()) for t in scanner.terminals],
                "keywords": keywords or None,
                "ignore": sorted(ignore & scanner.allowed_types)}
        assert len(basic.callback) <= 1 and not (set(basic.callback) & ignore)
        key = repr(spec)
        if key not in lexer_id:
            lexer_id[key] = len(lexers)
            lexers.append(spec)
        return lexer_id[key]

    state_lexer = tuple(lexer_index(contextual.lexers[state]) for state in states)
    root_lexer = lexer_index(contextual.root_lexer)

    def code(action, arg):
        return canonical_ids[arg] if action is Shift else -rule_id[arg] - 1

    actions = [{str(sym): code(*table.states[s][sym]) for sym in sorted(table.states[s])} for s in states]
    out_rules = []
    for rule in rules:
        options = rule.options
        expand1 = bool(options.expand1 and not rule.alias)
        if expand1:  # a `?rule` alternative: in this grammar always one child, handed on
            assert len(rule.expansion) == 1 and not rule.expansion[0].is_term, rule
        empty = list(options.empty_indices or ())
        if empty:
            s = "".join(str(int(b)) for b in empty)
            nones = [len(ones) for ones in s.split("0")]
        else:
            nones = [0] * (len(rule.expansion) + 1)
        include, pending = [], 0
        for i, sym in enumerate(rule.expansion):
            pending += nones[i]
            if options.keep_all_tokens or not (sym.is_term and sym.filter_out):
                include.append((i, not sym.is_term and sym.name.startswith("_"), pending))
                pending = 0
        pending += nones[len(rule.expansion)]
        out_rules.append((str(rule.origin.name), len(rule.expansion), str(rule.alias or rule.origin.name),
                          expand1, include, pending))
    literals = {str(t.name): str(t.pattern.value) for t in sorted(parser.terminals, key=lambda t: t.name)
                if isinstance(t.pattern, PatternStr)}
    assert len(table.start_states) == 1
    terminals = {t for spec in lexers for t in spec["terminals"]}
    assert len(terminals) == len({name for name, _ in terminals}), "a terminal with two patterns"
    return {
        "start_state": canonical_ids[table.start_states["start"]],
        "end_state": canonical_ids[table.end_states["start"]],
        "lexers": lexers,
        "state_lexer": state_lexer,
        "root_lexer": root_lexer,
        "actions": actions,
        "rules": out_rules,
        "literals": literals,
        "starts": {name: first_characters(regexp)
                   for name, regexp in sorted(terminals)},
    }


def first_characters(regexp: str):
    """[the ASCII characters a match of `regexp` can start with, whether it can start with
    another character], or None where it can match nothing or this walk cannot tell (the
    lexer then tries it at every character). Worked out here, at development time: parsing
    the patterns again when tcalc starts took longer than compiling them."""
    try:
        from re import _constants as sre
        from re import _parser
    except ImportError:  # Python 3.10
        import sre_constants as sre
        import sre_parse as _parser

    found = _first_characters(_parser.parse(regexp).data, sre)
    if found is None or found[2]:
        return None
    return ["".join(sorted(found[0])), found[1]]


_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w",
               "CATEGORY_NOT_WORD": r"\W", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S"}


def _class_characters(items, sre):
    """(the ASCII characters a character class matches, whether it matches another one),
    or None for a class this walk does not know."""
    parts, other, negate = [], False, False
    for op, av in items:
        if op is sre.NEGATE:
            negate = other = True
        elif op is sre.LITERAL:
            parts.append(re.escape(chr(av)))
            other = other or av >= 128
        elif op is sre.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
            other = other or av[1] >= 128
        elif op is sre.CATEGORY and str(av) in _CATEGORIES:
            parts.append(_CATEGORIES[str(av)])
            other = True  # \w, \D, ... take letters and digits of every script
        else:
            return None
    test = re.compile("[" + "^" * negate + "".join(parts) + "]").fullmatch
    return {chr(c) for c in range(128) if test(chr(c))}, other


def _first_characters(items, sre):
    """(ASCII characters, whether another character, whether it can match nothing) that a
    match of the parsed pattern `items` can start with, or None beyond this simple walk."""
    chars, other = set(), False
    for op, av in items:
        if op is sre.LITERAL:
            return chars | {chr(av)} if av < 128 else chars, other or av >= 128, False
        if op is sre.NOT_LITERAL:
            return chars | {chr(c) for c in range(128) if c != av}, True, False
        if op is sre.IN:
            got = _class_characters(av, sre)
            return None if got is None else (chars | got[0], other or got[1], False)
        if op is sre.SUBPATTERN:
            if av[1] & sre.SRE_FLAG_IGNORECASE:
                return None
            inner = _first_characters(av[3].data, sre)
        elif op is sre.BRANCH:
            inner = set(), False, False
            for branch in av[1]:
                got = _first_characters(branch.data, sre)
                if got is None:
                    return None
                inner = inner[0] | got[0], inner[1] or got[1], inner[2] or got[2]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            inner = _first_characters(av[2].data, sre)
            if inner is not None and av[0] == 0:
                inner = inner[0], inner[1], True
        else:
            return None
        if inner is None:
            return None
        chars, other = chars | inner[0], other or inner[1]
        if not inner[2]:
            return chars, other, False
    return chars, other, True


def _canonical_state_ids(table) -> dict:
    """Lark numbers parser states in the order of sets it iterates, which changes from run
    to run; number them breadth-first from the start state, tokens in name order, so that
    one grammar always gives the same tables."""
    order, seen = [], set()
    queue = [table.start_states[k] for k in sorted(table.start_states)]
    while queue:
        state = queue.pop(0)
        if state in seen:
            continue
        seen.add(state)
        order.append(state)
        actions = table.states[state]
        for token in sorted(actions):
            action, arg = actions[token]
            if action is Shift:
                queue.append(arg)
    order += sorted(set(table.states) - seen, key=str)
    return {state: i for i, state in enumerate(order)}
