"""Syntax tree -> AST (tcalc/ast.py): one method per tree node name, and the checks Python's
compiler makes that a grammar does not (`return` outside a def, `break` outside a loop,
what can be assigned to, a function's parameters).

Strings are decoded here; an f-string's expressions are parsed here too, once, by the same
parser, with their places in the source kept (so a caret lands inside the f-string).
"""
from __future__ import annotations

import re
from operator import itemgetter

from . import ast, limits
from ._lalr import BINOP, CHAIN, LIST, TREE, Token, Tree
from .errors import Span, TcalcError, TcalcSyntaxError


def _span(item) -> Span:
    """Where a node or a token is, for an error."""
    return Span(item.line, item.column, item.end_line, item.end_column)


def _where(item) -> tuple:
    """Where a node or a token is, as an AST node keeps it (tcalc/ast.py: a Span is made
    when asked)."""
    return (item.line << 32 | item.column, item.end_line << 32 | item.end_column)


def _identifier(token) -> str:
    """A name as Python reads it: NFKC-normalised (`ﬁ` is `fi`)."""
    text = str(token)
    if text.isascii():
        return text
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def _is_tree(item) -> bool:
    """A rule's node, not a token or a placeholder (None)."""
    return item.__class__ is Tree


class ToAst:
    """Turns one program's tree into AST nodes. `parse_expression(text)` parses the text of
    an f-string's expression (placed where it stands in the source) into an AST node."""

    def __init__(self, text: str, parse_expression):
        self.text = text
        self.parse_expression = parse_expression
        self.loops = 0  # loops around the statement being converted, inside its def
        self.in_function = False

    def program(self, tree) -> ast.Program:
        return ast.Program(Span(1, 1, 1, 1), tuple(self.statements(tree.children)))

    # ---- statements --------------------------------------------------------------------------

    def statements(self, items) -> list:
        """The statements of a program's or a block's lines and compound statements."""
        out = []
        for item in items:
            if not _is_tree(item):
                continue
            if item.data == "line":
                children = item.children
                for i, child in enumerate(children):
                    if _is_tree(child):
                        # A statement followed by ';' does not show its value.
                        quiet = i + 1 < len(children) and not _is_tree(children[i + 1])
                        out.append(self.statement(child, quiet))
            else:
                out.append(_COMPOUND_NODES[item.data](self, item, _where(item), item.children))
        return out

    def suite(self, tree) -> tuple:
        return tuple(self.statements(tree.children))

    def statement(self, tree, quiet: bool) -> ast.Node:
        kind = tree.data
        method = _STATEMENT_NODES.get(kind)
        if method is None:  # an expression standing alone
            return ast.ExprStmt(_where(tree), self.expr(tree), quiet)
        return method(self, tree, _where(tree), tree.children, quiet)

    def s_expr_stmt(self, t, where, ch, quiet):
        return ast.ExprStmt(where, self.expr(ch[0]), quiet)

    def s_assign(self, t, where, ch, quiet):
        target, value = self.expr(ch[0]), self.expr(ch[1])
        if isinstance(target, ast.Call) and isinstance(target.func, ast.Name):
            return self.function_definition(where, target, value, quiet)
        self.check_target(target)
        return ast.Assign(where, target, value, quiet)

    def s_chain_assign(self, t, where, ch, quiet):
        targets = tuple(self.expr(c) for c in ch[:-1])
        for target in targets:
            self.check_target(target)
        return ast.MultiAssign(where, targets, self.expr(ch[-1]), quiet)

    def function_definition(self, where, target: ast.Call, value, quiet):
        """`f(x, y) = expression`."""
        params = []
        for arg in target.args:
            if not isinstance(arg, ast.Name) or arg.id in params:
                raise TcalcSyntaxError("a function's parameters are distinct names", arg.span,
                                       "define a function as `f(x, y) = expression`")
            params.append(arg.id)
        if target.keywords:
            raise TcalcSyntaxError("a function's parameters are plain names", target.keywords[0].span)
        return ast.FunctionDef(where, target.func.id, tuple(params), value, quiet)

    def check_target(self, target: ast.Node, starred_ok: bool = False) -> None:
        if isinstance(target, (ast.TupleExpr, ast.ListExpr)):
            stars = [item for item in target.items if isinstance(item, ast.Starred)]
            if len(stars) > 1:
                raise TcalcSyntaxError("multiple starred expressions in assignment", stars[1].span)
            for item in target.items:
                self.check_target(item, starred_ok=True)
        elif isinstance(target, ast.Starred):
            if not starred_ok:
                raise TcalcSyntaxError("starred assignment target must be in a list or tuple", target.span)
            self.check_target(target.value)
        elif not isinstance(target, (ast.Name, ast.Index, ast.Attribute)):
            raise TcalcSyntaxError("cannot assign to this expression", target.span,
                                   "assign to a name (`x = ...`), an index (`X[0] = ...`) or "
                                   "define a function (`f(x) = ...`); to compare, use `==`")

    def s_aug_assign(self, t, where, ch, quiet):
        target = self.expr(ch[0])
        if not isinstance(target, (ast.Name, ast.Index, ast.Attribute)):
            raise TcalcSyntaxError("cannot assign in place to this expression", target.span,
                                   "the left of += is a name, an indexed tensor or an attribute")
        return ast.AugAssign(where, target, str(ch[1])[:-1], self.expr(ch[2]), quiet)

    def s_import_stmt(self, t, where, ch, quiet):
        names = []
        for dotted_as in ch:
            module, alias = dotted_as.children
            names.append((".".join(_identifier(part) for part in module.children),
                          None if alias is None else _identifier(alias)))
        return ast.Import(where, tuple(names), quiet)

    def s_from_import(self, t, where, ch, quiet):
        module = ".".join(str(part) for part in ch[0].children)
        names = []
        for item in ch[1].children:
            if not _is_tree(item):  # STAR
                names.append(("*", None))
            elif item.data == "import_as":
                name, alias = item.children
                names.append((_identifier(name), None if alias is None else _identifier(alias)))
        return ast.ImportFrom(where, module, tuple(names), quiet)

    def s_return_stmt(self, t, where, ch, quiet):
        if not self.in_function:
            raise TcalcSyntaxError("'return' outside function", ast.span_of(where),
                                   "return ends a def's body; at the top level, just write the value")
        return ast.Return(where, None if ch[0] is None else self.expr(ch[0]), quiet)

    def s_break_stmt(self, t, where, ch, quiet):
        if not self.loops:
            raise TcalcSyntaxError("'break' outside loop", ast.span_of(where))
        return ast.Break(where, quiet)

    def s_continue_stmt(self, t, where, ch, quiet):
        if not self.loops:
            raise TcalcSyntaxError("'continue' not properly in loop", ast.span_of(where))
        return ast.Continue(where, quiet)

    def s_pass_stmt(self, t, where, ch, quiet):
        return ast.Pass(where, quiet)

    def s_del_stmt(self, t, where, ch, quiet):
        targets = self.expr(ch[0])
        for target in (targets.items if isinstance(targets, ast.TupleExpr) else (targets,)):
            if not isinstance(target, (ast.Name, ast.Index)):
                raise TcalcSyntaxError("cannot delete this expression", target.span,
                                       "del takes names and items: del x, del d['key']")
        return ast.Delete(where, targets, quiet)

    def s_global_stmt(self, t, where, ch, quiet):
        return ast.Global(where, tuple(_identifier(name) for name in ch), quiet)

    def s_assert_stmt(self, t, where, ch, quiet):
        return ast.Assert(where, self.expr(ch[0]), None if ch[1] is None else self.expr(ch[1]), quiet)

    def s_magic(self, t, where, ch, quiet):
        return ast.Magic(where, str(ch[0]), quiet)

    # ---- compound statements ----------------------------------------------------------------

    def c_if_stmt(self, t, where, ch):
        test, body, *clauses = ch
        orelse: tuple = ()
        if clauses and clauses[-1] is not None and clauses[-1].data == "else_clause":
            orelse = self.suite(clauses[-1].children[0])
        elifs = [c for c in clauses if c is not None and c.data == "elif_clause"]
        for clause in reversed(elifs):
            orelse = (ast.If(_where(clause), self.expr(clause.children[0]), self.suite(clause.children[1]), orelse),)
        return ast.If(where, self.expr(test), self.suite(body), orelse)

    def loop_body(self, suite) -> tuple:
        self.loops += 1
        try:
            return self.suite(suite)
        finally:
            self.loops -= 1

    def else_suite(self, clause) -> tuple:
        return () if clause is None else self.suite(clause.children[0])

    def c_while_stmt(self, t, where, ch):
        test, body, orelse = ch
        return ast.While(where, self.expr(test), self.loop_body(body), self.else_suite(orelse))

    def c_for_stmt(self, t, where, ch):
        target, iterable, body, orelse = ch
        target = self.expr(target)
        self.check_target(target)
        return ast.For(where, target, self.expr(iterable), self.loop_body(body), self.else_suite(orelse))

    def c_with_stmt(self, t, where, ch):
        items = []
        for item in ch[:-1]:
            context, target = item.children
            target = None if target is None else self.expr(target)
            if target is not None:
                self.check_target(target)
            items.append((self.expr(context), target))
        return ast.With(where, tuple(items), self.suite(ch[-1]))

    def c_def_stmt(self, t, where, ch):
        name, parameters, _returns, body = ch
        params = self.parameters(parameters)
        saved = self.loops, self.in_function
        self.loops, self.in_function = 0, True
        try:
            statements = self.suite(body)
        finally:
            self.loops, self.in_function = saved
        return ast.Def(where, _identifier(name), params, statements, False)

    def parameters(self, tree) -> tuple:
        params, seen, defaults = [], set(), False
        for item in (tree.children if tree is not None else ()):
            if item.data == "param":
                name, default, kind = item.children[0], None, ""
            elif item.data == "param_default":
                name, default, kind = item.children[0], self.expr(item.children[1]), ""
            else:
                name, default, kind = item.children[1], None, "*" if item.data == "param_star" else "**"
            text = _identifier(name)
            if text in seen:
                raise TcalcSyntaxError(f"duplicate argument '{text}' in function definition", _span(name))
            seen.add(text)
            if kind == "" and default is None and defaults and not any(p.kind for p in params):
                raise TcalcSyntaxError("non-default argument follows default argument", _span(name))
            defaults = defaults or default is not None
            params.append(ast.Param(_where(item), text, default, kind))
        return tuple(params)

    # ---- expressions -------------------------------------------------------------------------

    def expr(self, item) -> ast.Node:
        try:
            data = item.data
        except AttributeError:  # only NAME-like leaves reach here via ?rules
            raise AssertionError(item) from None
        return _EXPRESSION_NODES[data](self, item, _where(item), item.children)

    def x_name(self, t, where, ch):
        return ast.Name(where, _identifier(ch[0]))

    def x_int_lit(self, t, where, ch):
        text = str(ch[0])
        try:
            limits.check_int_literal(text)
        except TcalcError as err:
            raise err.at(ast.span_of(where)) from None
        digits = text.replace("_", "")
        return ast.Constant(where, int(digits, 0) if digits[:2].lower() in ("0x", "0b", "0o") else int(digits))

    def x_float_lit(self, t, where, ch):
        return ast.Constant(where, float(str(ch[0]).replace("_", "")))

    def x_strings(self, t, where, ch):
        """Adjacent string literals are one string; with an f-string among them, a JoinedStr."""
        parts: list = []
        formatted = False
        for token in ch:
            if token.type == "FSTRING":
                formatted = True
                parts.extend(self.fstring(token))
            else:
                parts.append(_decode(token, str(token)))
        if not formatted:
            return ast.Constant(where, "".join(parts))
        return ast.JoinedStr(where, tuple(_merge_literals(parts)))

    def x_true(self, t, where, ch):
        return ast.Constant(where, True)

    def x_false(self, t, where, ch):
        return ast.Constant(where, False)

    def x_none(self, t, where, ch):
        return ast.Constant(where, None)

    def x_ellipsis(self, t, where, ch):
        return ast.EllipsisExpr(where)

    def x_empty_tuple(self, t, where, ch):
        return ast.TupleExpr(where, ())

    def x_paren(self, t, where, ch):
        inner = self.expr(ch[0])
        # Keep the parentheses in the span so carets cover what the user wrote.
        return ast.TupleExpr(where, inner.items) if isinstance(inner, ast.TupleExpr) else inner

    def x_tuple(self, t, where, ch):
        return ast.TupleExpr(where, tuple(self.expr(c) for c in ch if c is not None))

    def x_list(self, t, where, ch):
        return ast.ListExpr(where, tuple(self.expr(c) for c in ch if c is not None))

    def x_set(self, t, where, ch):
        return ast.SetExpr(where, tuple(self.expr(c) for c in ch if c is not None))

    def x_empty_dict(self, t, where, ch):
        return ast.DictExpr(where, (), ())

    def x_dict(self, t, where, ch):
        keys, values = [], []
        for item in ch:
            if item is None:
                continue
            if item.data == "pair":
                keys.append(self.expr(item.children[0]))
                values.append(self.expr(item.children[1]))
            else:  # **mapping
                keys.append(None)
                values.append(self.expr(item.children[1]))
        return ast.DictExpr(where, tuple(keys), tuple(values))

    def x_starred(self, t, where, ch):
        return ast.Starred(where, self.expr(ch[1]))

    def comprehension(self, tree) -> tuple:
        """A comp_for tree: the clauses `for target in iterable` with their `if`s."""
        target, iterable, *rest = tree.children
        clauses = [[self.comprehension_target(target), self.expr(iterable), []]]
        for item in rest:
            if item.data == "comp_if":
                clauses[-1][2].append(self.expr(item.children[0]))
            else:
                clauses.append([self.comprehension_target(item.children[0]), self.expr(item.children[1]), []])
        return tuple(ast.Comprehension(_where(tree), target, iterable, tuple(ifs))
                     for target, iterable, ifs in clauses)

    def comprehension_target(self, tree) -> ast.Node:
        target = self.expr(tree)
        self.check_target(target)
        return target

    def x_listcomp(self, t, where, ch):
        return ast.ListComp(where, self.expr(ch[0]), self.comprehension(ch[1]))

    def x_setcomp(self, t, where, ch):
        return ast.SetComp(where, self.expr(ch[0]), self.comprehension(ch[1]))

    def x_genexp(self, t, where, ch):
        return ast.GeneratorExp(where, self.expr(ch[0]), self.comprehension(ch[1]))

    def x_dictcomp(self, t, where, ch):
        return ast.DictComp(where, self.expr(ch[0]), self.expr(ch[1]), self.comprehension(ch[2]))

    def x_lambdef(self, t, where, ch):
        params = self.parameters(ch[0])
        saved = self.loops, self.in_function
        self.loops, self.in_function = 0, True
        try:
            body = self.expr(ch[1])
        finally:
            self.loops, self.in_function = saved
        return ast.Lambda(where, params, body)

    def x_binop(self, t, where, ch):
        # A chain `1 + 2 + ... + n` nests to the left: built in a loop from its first
        # operand, not by recursion (it may be 100,000 terms long).
        chain = [t]
        first = ch[0]
        while first.__class__ is Tree and first.data == "binop":
            chain.append(first)
            first = first.children[0]
        node = self.expr(first)
        for tree in reversed(chain):
            _, op, right = tree.children
            node = ast.BinOp(_where(tree), str(op), node, self.expr(right), _where(op))
        return node

    def x_unary(self, t, where, ch):
        return ast.UnaryOp(where, str(ch[0]), self.expr(ch[1]))

    def x_compare(self, t, where, ch):
        ops = tuple(" ".join(str(token) for token in c.children) if _is_tree(c) else str(c) for c in ch[1::2])
        return ast.Compare(where, self.expr(ch[0]), ops, tuple(self.expr(c) for c in ch[2::2]))

    def x_and_(self, t, where, ch):
        return ast.BoolOp(where, "and", self.expr(ch[0]), self.expr(ch[1]))

    def x_or_(self, t, where, ch):
        return ast.BoolOp(where, "or", self.expr(ch[0]), self.expr(ch[1]))

    def x_not_(self, t, where, ch):
        return ast.Not(where, self.expr(ch[0]))

    def x_ifexp(self, t, where, ch):
        return ast.IfExp(where, self.expr(ch[0]), self.expr(ch[1]), self.expr(ch[2]))

    def x_call(self, t, where, ch):
        func, arguments = ch
        if arguments is not None and arguments.data == "genexp_argument":  # f(x for x in xs)
            genexp = ast.GeneratorExp(_where(arguments), self.expr(arguments.children[0]),
                                      self.comprehension(arguments.children[1]))
            return ast.Call(where, self.expr(func), (genexp,), ())
        args, keywords = [], []
        for arg in (arguments.children if arguments is not None else []):
            if arg is None:
                continue
            kind = arg.data if _is_tree(arg) else None
            if kind == "keyword":
                key = self.expr(arg.children[0])
                if not isinstance(key, ast.Name):
                    raise TcalcSyntaxError("a keyword argument needs a name before '='", key.span,
                                           "write `name=value`; to compare, use `==`")
                if any(k.name == key.id for k in keywords):
                    raise TcalcSyntaxError(f"keyword argument {key.id!r} repeated", key.span)
                keywords.append(ast.Keyword(_where(arg), key.id, self.expr(arg.children[1])))
            elif kind == "starstar_argument":
                keywords.append(ast.Keyword(_where(arg), None, self.expr(arg.children[1])))
            elif kind == "star_argument":
                args.append(ast.Starred(_where(arg), self.expr(arg.children[1])))
            else:
                if keywords:
                    node = self.expr(arg)
                    raise TcalcSyntaxError("positional argument follows keyword argument", node.span)
                args.append(self.expr(arg))
        return ast.Call(where, self.expr(func), tuple(args), tuple(keywords))

    def x_attr(self, t, where, ch):
        return ast.Attribute(where, self.expr(ch[0]), _identifier(ch[1]))

    def x_index(self, t, where, ch):
        value, subs = ch
        items = [c for c in subs.children if c is not None]
        trailing_comma = self.text[: subs.end_pos].rstrip().endswith(",")
        return ast.Index(where, self.expr(value), tuple(self.subscript(c) for c in items),
                         len(items) > 1 or trailing_comma)

    def subscript(self, item) -> ast.Node:
        if _is_tree(item) and item.data == "slice":
            parts = [None if c is None else self.expr(c) for c in item.children]
            return ast.Slice(_where(item), *parts)
        return self.expr(item)

    # ---- f-strings ---------------------------------------------------------------------------

    def fstring(self, token) -> list:
        """The parts of one f-string token: literal text and FormattedValue nodes."""
        raw = str(token)
        prefix = len(raw) - len(raw.lstrip("fFrR"))
        quote = 3 if raw[prefix:prefix + 3] in ('"""', "'''") else 1
        body_start = prefix + quote
        body = raw[body_start:len(raw) - quote]
        is_raw = "r" in raw[:prefix].lower()
        return self.fstring_parts(token, body, token.start_pos + body_start, is_raw)

    def fstring_parts(self, token, body: str, offset: int, is_raw: bool) -> list:
        parts: list = []
        literal: list[str] = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "{" and body[i + 1:i + 2] == "{" or ch == "}" and body[i + 1:i + 2] == "}":
                literal.append(ch)
                i += 2
                continue
            if ch == "}":
                raise self.fstring_error("f-string: single '}' is not allowed", offset + i)
            if ch != "{":
                literal.append(ch)
                i += 1
                continue
            if literal:
                text = "".join(literal)
                parts.append(text if is_raw else _unescape(text))
                literal = []
            i = self.replacement_field(token, body, i + 1, offset, is_raw, parts)
        if literal:
            text = "".join(literal)
            parts.append(text if is_raw else _unescape(text))
        return parts

    def replacement_field(self, token, body: str, start: int, offset: int, is_raw: bool, parts: list) -> int:
        """`{expression!conversion:spec}` from `start` (after the '{'): appends its parts,
        returns where the text goes on after its '}'."""
        end, depth, quote, i = None, 0, None, start
        while i < len(body):
            ch = body[i]
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch in "([{":
                depth += 1
            elif ch in ")]}" and depth:
                depth -= 1
            elif depth == 0 and (ch in ":}" or ch == "!" and body[i + 1:i + 2] != "="):
                end = i
                break
            i += 1
        if end is None:
            raise self.fstring_error("f-string: expecting '}'", offset + start - 1)
        expression = body[start:end]
        debug = ""
        stripped = expression.rstrip()
        if stripped.endswith("=") and not stripped.endswith(("==", "!=", "<=", ">=")):
            debug, expression = expression, stripped[:-1]  # {x=}: the text, then the value
        if not expression.strip():
            raise self.fstring_error("f-string: empty expression not allowed", offset + start - 1)
        value = self.parse_expression(self.placed(offset + start, expression))
        conversion, spec = "", None
        i = end
        if body[i] == "!":
            conversion = body[i + 1:i + 2]
            if conversion not in ("r", "s", "a"):
                raise self.fstring_error("f-string: invalid conversion character: expected 's', 'r', or 'a'",
                                         offset + i)
            i += 2
        if i < len(body) and body[i] == ":":
            spec_start = i + 1
            depth, i = 0, spec_start
            while i < len(body) and (body[i] != "}" or depth):
                depth += {"{": 1, "}": -1}.get(body[i], 0)
                i += 1
            spec = ast.JoinedStr(_where(token), tuple(_merge_literals(
                self.fstring_parts(token, body[spec_start:i], offset + spec_start, is_raw))))
        if i >= len(body) or body[i] != "}":
            raise self.fstring_error("f-string: expecting '}'", offset + start - 1)
        if debug:
            parts.append(debug)
            if not conversion and spec is None:
                conversion = "r"
        parts.append(ast.FormattedValue(value.span, value, conversion, spec))
        return i + 1

    def placed(self, position: int, expression: str) -> str:
        """The expression's text, preceded by what puts it at its line and column in the
        source (inside a bracket, where newlines and spaces mean nothing)."""
        line = self.text.count("\n", 0, position)
        column = position - (self.text.rfind("\n", 0, position) + 1)
        return "(" + "\n" * line + " " * max(column - (0 if line else 1), 0) + expression + _PLACED_END

    def fstring_error(self, message: str, position: int) -> TcalcSyntaxError:
        line = self.text.count("\n", 0, position) + 1
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        return TcalcSyntaxError(message, Span(line, column, line, column + 1))


# What follows an f-string's placed expression: a syntax error there is the expression's end.
_PLACED_END = "\n)\n"


# ---- string literals --------------------------------------------------------------------

_ESCAPE = re.compile(r"\\(\n|[\\'\"abfnrtv]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|[0-7]{1,3})")
_SIMPLE = {"\n": "", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n",
           "r": "\r", "t": "\t", "v": "\v"}


def _unescape(text: str) -> str:
    """Python's escape sequences; an unknown one (`\\d`) stays as written, as in Python."""
    if "\\" not in text:
        return text

    def replace(m):
        code = m.group(1)
        if code in _SIMPLE:
            return _SIMPLE[code]
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        if code[0] == "N":
            import unicodedata

            try:
                return unicodedata.lookup(code[2:-1])
            except KeyError:
                raise TcalcSyntaxError(f"unknown Unicode character name {code[2:-1]!r}") from None
        return chr(int(code, 8))

    return _ESCAPE.sub(replace, text)


def _decode(token, raw: str) -> str:
    prefix = raw[:len(raw) - len(raw.lstrip("rRbB"))]
    if "b" in prefix.lower():
        raise TcalcSyntaxError("tcalc has no bytes values", _span(token), "write a plain string: 'text'")
    quote = 3 if raw[len(prefix):len(prefix) + 3] in ('"""', "'''") else 1
    body = raw[len(prefix) + quote:len(raw) - quote]
    return body if "r" in prefix.lower() else _unescape(body)


def _merge_literals(parts: list) -> list:
    merged: list = []
    for part in parts:
        if type(part) is str and merged and type(merged[-1]) is str:
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return merged


# Tree node name (from the grammar) -> the method building its AST node.
_EXPRESSION_NODES = {name[2:]: method for name, method in vars(ToAst).items() if name.startswith("x_")}
_STATEMENT_NODES = {name[2:]: method for name, method in vars(ToAst).items() if name.startswith("s_")}
_COMPOUND_NODES = {name[2:]: method for name, method in vars(ToAst).items() if name.startswith("c_")}


# ---- the fast path: the AST built at the parser's reductions ---------------------------

class NotFast(Exception):
    """The fast path cannot vouch for its answer (a `return` or `break` out of place):
    tcalc.parser takes the tree and the pass above, which say what is wrong."""


class _Subscripts(Tree):
    """A `subscripts` node of the fast path, which knows whether a comma ends it
    (`X[1,]` indexes with a tuple)."""

    __slots__ = ("trailing_comma",)


class Reductions(ToAst):
    """The AST pass run bottom-up, at each of the parser's reductions (Parser.parse_fast),
    instead of over a finished tree: the same methods as ToAst, whose children arrive
    already made (so `expr` and `suite` hand them on). The rules that make no AST node
    (arguments, subscripts, parameters, ...) still make a small Tree for their parent's
    method to read. What ToAst checks top-down with its context (a `return` outside a
    def, a `break` outside a loop) is checked at the def or loop: until then such
    statements wait, by place, in `returns` and `exits`.

    Any error here, and any syntax error, is explained by the tree and ToAst instead
    (tcalc.parser), so that it stays the error that pass finds first.
    """

    def __init__(self, rules):
        super().__init__("", None)
        self.in_use = False
        self.returns: list = []
        self.exits: list = []
        self.actions = _Actions(self, rules)

    def begin(self, text: str, parse_expression) -> None:
        self.text, self.parse_expression = text, parse_expression
        self.returns, self.exits = [], []

    def _action(self, name, expand1, include, nones_after):
        """(height rule, action) of one rule: see Parser.parse_fast."""
        if expand1:
            return TREE, None
        shape = (name, tuple(map(tuple, include)), nones_after)
        if shape in _SHORT_CUTS:
            return (LIST if name.startswith("__") else TREE), getattr(self, _SHORT_CUTS[shape])
        if name.startswith("__"):
            if len(include) == 2 and include[0] == (0, True, 0) and include[1][1:] == (False, 0) and not nones_after:
                item = include[1][0]

                def extend(children):  # the list itself, one longer: a long list stays linear
                    items = children[0]
                    items.append(children[item])
                    return items
                return LIST, lambda children, where: extend(children)
            pick = _picker(include, nones_after)
            return LIST, lambda children, where: pick(children)
        pick = _picker(include, nones_after)
        if name == CHAIN:
            return BINOP, self.binop
        for prefix in ("x_", "c_"):
            method = getattr(self, prefix + name, None)
            if method is not None:
                return TREE, lambda children, where: method(None, where, pick(children))
        method = getattr(self, "s_" + name, None)
        if method is not None:
            return TREE, lambda children, where: method(None, where, pick(children), False)
        if name in ("line", "suite", "start"):
            method = getattr(self, "r_" + name)
            return TREE, lambda children, where: method(pick(children))
        if name == "subscripts":
            return TREE, lambda children, where: self.subscripts(pick(children), where, children)
        return TREE, lambda children, where: _tree(Tree, name, pick(children), where)

    # ---- short cuts: the same nodes as the methods above, for the commonest rules -----
    # (one call where the general action takes three or four; see _SHORT_CUTS)

    def name(self, children, where):
        text = children[0][1]
        return ast.Name(where, text if text.isascii() else _identifier(text))

    def int_lit(self, children, where):
        text = children[0][1]
        if text.isdigit() and len(text) <= limits.LIMITS.max_int_digits:
            return ast.Constant(where, int(text))
        return self.x_int_lit(None, where, [children[0]])

    def float_lit(self, children, where):
        return ast.Constant(where, float(children[0][1].replace("_", "")))

    def attr(self, children, where):
        text = children[2][1]
        return ast.Attribute(where, children[0], text if text.isascii() else _identifier(text))

    def call_without_arguments(self, children, where):
        return ast.Call(where, children[0], (), ())

    def call(self, children, where):
        arguments = children[2]
        if arguments.data == "arguments":
            for arg in arguments.children:
                if arg is None or arg.__class__ is Tree:
                    break
            else:  # positional arguments only
                return ast.Call(where, children[0], tuple(arguments.children), ())
        return self.x_call(None, where, [children[0], arguments])

    def arguments(self, children, where):
        return Tree("arguments", [children[0]])  # (x_call reads no position of it)

    def assign(self, children, where):
        target = children[0]
        if target.__class__ is ast.Name:
            return ast.Assign(where, target, children[2], False)
        return self.s_assign(None, where, [target, children[2]], False)

    def expr_stmt(self, children, where):
        return ast.ExprStmt(where, children[0], False)

    def single_line(self, children, where):
        return [children[0]]

    def first_line(self, children, where):
        return [children[0]]

    def next_line(self, children, where):
        items = children[0]
        items.append(children[1])
        return items

    def end_of_lines(self, children, where):
        return children[0]

    # ---- what differs from the top-down pass -------------------------------------------

    def expr(self, node):
        return node

    def suite(self, statements):
        return statements

    def r_line(self, items) -> list:
        """A line's statements; one followed by ';' does not show its value."""
        last = len(items) - 1
        statements = []
        for i, item in enumerate(items):
            if item.__class__ is not Token:
                if i < last and items[i + 1].__class__ is Token:
                    item.quiet = True
                statements.append(item)
        return statements

    def r_suite(self, items) -> tuple:
        return tuple(_flat(items))

    def r_start(self, items) -> ast.Program:
        if self.returns or self.exits:
            raise NotFast
        return ast.Program(Span(1, 1, 1, 1), tuple(_flat(items)))

    def binop(self, children, where):
        left, op, right = children
        return ast.BinOp(where, op[1], left, right, op[8])

    def subscripts(self, items, where, children):
        node = _tree(_Subscripts, "subscripts", items, where)
        node.trailing_comma = children[-1].__class__ is Token
        return node

    def x_index(self, t, where, ch):
        value, subs = ch
        items = [c for c in subs.children if c is not None]
        return ast.Index(where, value, tuple(self.subscript(c) for c in items), len(items) > 1 or subs.trailing_comma)

    def s_return_stmt(self, t, where, ch, quiet):
        self.returns.append(where[0])
        return ast.Return(where, ch[0], quiet)

    def s_break_stmt(self, t, where, ch, quiet):
        self.exits.append(where[0])
        return ast.Break(where, quiet)

    def s_continue_stmt(self, t, where, ch, quiet):
        self.exits.append(where[0])
        return ast.Continue(where, quiet)

    def c_def_stmt(self, t, where, ch):
        node = ToAst.c_def_stmt(self, t, where, ch)
        start = where[0]
        self.returns = [p for p in self.returns if p < start]
        if self.exits and self.exits[-1] >= start:  # a break in the body, outside its loops
            raise NotFast
        return node

    def c_for_stmt(self, t, where, ch):
        return self._loop(ToAst.c_for_stmt(self, t, where, ch), where, ch[3])

    def c_while_stmt(self, t, where, ch):
        return self._loop(ToAst.c_while_stmt(self, t, where, ch), where, ch[2])

    def _loop(self, node, where, orelse):
        """The breaks and continues of the loop's body are in place (not its else's)."""
        if self.exits:
            start = where[0]
            stop = ast.place(orelse.line, orelse.column) if orelse is not None else where[1] + 1
            self.exits = [p for p in self.exits if p < start or p >= stop]
        return node


class _Actions(dict):
    """Reduction code -> (origin, size, height rule, action), each made the first time the
    parser reduces by that rule: a short line uses a few dozen of the 244 rules, and
    making them all took most of the first parse's 3 ms of set-up (the start-up of
    `tcalc -e`)."""

    def __init__(self, reductions: Reductions, rules):
        super().__init__()
        self.reductions, self.rules = reductions, rules

    def __missing__(self, code):
        rule = self.rules[-code - 1]
        entry = self[code] = (rule[0], rule[1], *self.reductions._action(*rule[2:]))
        return entry


# Rule (name, kept children, placeholders after) -> the Reductions method that builds it
# in one call.
_SHORT_CUTS = {
    ("name", ((0, False, 0),), 0): "name",
    ("int_lit", ((0, False, 0),), 0): "int_lit",
    ("float_lit", ((0, False, 0),), 0): "float_lit",
    ("attr", ((0, False, 0), (2, False, 0)), 0): "attr",
    ("call", ((0, False, 0),), 1): "call_without_arguments",
    ("call", ((0, False, 0), (2, False, 0)), 0): "call",
    ("arguments", ((0, False, 0),), 0): "arguments",
    ("assign", ((0, False, 0), (2, False, 0)), 0): "assign",
    ("expr_stmt", ((0, False, 0),), 0): "expr_stmt",
    ("line", ((0, False, 0),), 0): "single_line",
    ("__start_star_0", ((0, False, 0),), 0): "first_line",
    ("__start_star_0", ((0, True, 0), (1, False, 0)), 0): "next_line",
    ("__start_star_0", ((0, True, 0),), 0): "end_of_lines",
}


def _picker(include, nones_after):
    """lark's child filter for one rule, as a function of the values of its symbols: the
    kept ones, None for each absent optional part, and the items of an inlined
    `__rule_star` list (the list itself when it comes first: a long list stays linear)."""
    if not nones_after and all(not inline and not nones for _, inline, nones in include):
        indices = tuple(i for i, _, _ in include)
        if not indices:
            return lambda children: []
        if len(indices) == 1:
            only = indices[0]
            return lambda children: [children[only]]
        getter = itemgetter(*indices)
        return lambda children: list(getter(children))

    def pick(children):
        filtered = []
        for i, inline, nones in include:
            if nones:
                filtered += [None] * nones
            if not inline:
                filtered.append(children[i])
            elif filtered:
                filtered += children[i]
            else:
                filtered = children[i]
        if nones_after:
            filtered += [None] * nones_after
        return filtered

    return pick


def _tree(cls, name, children, where):
    node = cls(name, children)
    start, end = where
    node.line, node.column, node.end_line, node.end_column = start >> 32, start & 0xFFFFFFFF, end >> 32, end & 0xFFFFFFFF
    return node


def _flat(items) -> list:
    """The statements of lines (lists) and compound statements."""
    out = []
    for item in items:
        if item.__class__ is list:
            out += item
        else:
            out.append(item)
    return out
