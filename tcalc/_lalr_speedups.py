"""Faster parsing with the same answers: lark's LALR parser, minus work our grammar makes it
repeat.

The grammar layers precedence as Python's does (`?test: or_test`, `?or_test: and_test`,
... down to `?postfix: atom`), so every operand goes through about fourteen unit
reductions that only hand one child on. Lark performs each one: it pops and pushes the
state stack, looks the rule's callback up by rule equality, and recomputes the child's
positions. Here:

- a unit reduction's callback is a plain hand-on (same tree, same positions);
- callbacks are found by identity (the table's Rule objects are the callback keys);
- a chain of unit reductions is done in one step: from the state below, the state on top
  and the lookahead, the state the chain ends in is always the same, so it is remembered.

Everything else (the lexer, the trees, syntax errors) is lark's own. tests/test_parser_tables.py
checks that trees, positions and errors are those of a plain lark parser.
"""
from __future__ import annotations

from lark import Lark
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_parser_state import ParseConf, ParserState


def speed_up(parser: Lark) -> None:
    try:
        lalr = parser.parser.parser.parser  # ParsingFrontend -> LALR_Parser -> _Parser
        table, callbacks = lalr.parse_table, lalr.callbacks
    except AttributeError:  # another lark layout: leave the parser as it is
        return
    by_rule = {rule: rule for rule in callbacks}
    units = set()
    for rule in list(callbacks):
        options, expansion = rule.options, rule.expansion
        if (options.expand1 and not rule.alias and not options.empty_indices
                and len(expansion) == 1 and not expansion[0].is_term
                and not expansion[0].name.startswith("_")):
            callbacks[rule] = _only_child
            units.add(rule)
    for actions in table.states.values():
        for token, (action, arg) in actions.items():
            if action is not Shift:
                actions[token] = (action, by_rule.get(arg, arg))
    units = {id(rule) for rule in units}

    def parse(lexer, start, value_stack=None, state_stack=None, start_interactive=False):
        if start_interactive:
            return type(lalr).parse(lalr, lexer, start, value_stack, state_stack, start_interactive)
        state = _FastState(ParseConf(table, callbacks, start), lexer, state_stack, value_stack)
        state.units = units
        state.chains = chains
        return lalr.parse_from_state(state)

    chains: dict = {}
    lalr.parse = parse


def _only_child(children: list):
    return children[0]


class _FastState(ParserState):
    __slots__ = ("units", "chains")

    def feed_token(self, token, is_end=False):
        state_stack = self.state_stack
        value_stack = self.value_stack
        conf = self.parse_conf
        states = conf.states
        callbacks = conf.callbacks
        units, chains = self.units, self.chains
        kind = token.type
        while True:
            state = state_stack[-1]
            actions = states[state]
            if kind not in actions:
                return ParserState.feed_token(self, token, is_end)  # lark raises its error
            action, arg = actions[kind]
            if action is Shift:
                state_stack.append(arg)
                value_stack.append(token if kind not in callbacks else callbacks[kind](token))
                return None
            if id(arg) in units and len(state_stack) > 1:
                key = (state_stack[-2], state, kind)
                end = chains.get(key)
                if end is None:
                    end = chains[key] = self._chain_end(state_stack[-2], state, kind)
                state_stack[-1] = end
                continue
            size = len(arg.expansion)
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            value = callbacks[arg](children)
            _, new_state = states[state_stack[-1]][arg.origin.name]
            state_stack.append(new_state)
            value_stack.append(value)
            if is_end and new_state == conf.end_state:
                return value

    def _chain_end(self, below, state, kind):
        """Follow unit reductions from `state` (on top of `below`) while the lookahead
        `kind` asks for them; the state where something else happens."""
        states, units, end_state = self.parse_conf.states, self.units, self.parse_conf.end_state
        while True:
            action = states[state].get(kind)
            if action is None or action[0] is Shift or id(action[1]) not in units:
                return state
            new_state = states[below][action[1].origin.name][1]
            if new_state == end_state:
                return state
            state = new_state
