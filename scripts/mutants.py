"""The mutants of a Python module: operators, stable identities, application (pure AST).

Used by ``scripts/mutate.py`` (``python3 tasks.py mutate``), which runs the tests
against each mutant; this module only reads and rewrites syntax trees.

* **Operators** (:data:`OPERATORS`): comparison swaps (``<``/``<=``, ``>``/``>=``,
  ``==``/``!=``, ``in``/``not in``, ``is``/``is not``), ``and``/``or``, ``not x`` ->
  ``x``, arithmetic (``+``/``-``, ``*``/``//``, ``/`` -> ``*``, also in ``+=``...),
  numbers (``n`` -> ``n+1``, ``n-1``, ``0``; a float ``x`` -> ``x+1``, ``0.0``),
  strings and bytes (-> ``"XX" s "XX"``; an f-string gets an ``XX`` prefix),
  ``True``/``False``, ``return x`` -> ``return None`` (the same as a bare
  ``return``: one operator for both), a statement replaced by ``pass``,
  ``break``/``continue``, slice bounds (``x[a:b]`` -> ``x[a+1:b]``, ``x[a-1:b]``, ...
  for bounds that are not numbers, which the number operator moves already), an
  ``if`` (or ``a if c else b``) condition forced ``True`` or ``False``.
* **Not mutated**: docstrings (attribute docstrings too), type annotations,
  ``assert`` statements (they are for the type checker here), decorators,
  ``__all__``/``__slots__`` and other dunder assignments, ``TYPE_CHECKING``
  blocks, imports, ``Literal[...]``, logging calls, the arguments of
  ``TypeVar``/``cast``/``NewType``..., and error
  *messages*: in a call to a class named ``...Error``/``...Exception``/``...Warning``
  (or one of the module's own exception classes), the positional arguments and the
  ``message``/``msg``/``detail``/``hint`` keywords that are text (a string, an
  f-string, or one followed by ``+``/``%``). A message is prose for people;
  pinning it word for word would make every rewording a test change. Structured error fields
  (``argument=``, ``option=``, ``limit=``, ``reason=``...) are mutated: tests
  should pin those. Statements are not dropped at module level or in class bodies
  (declarations: a drop breaks the import, which any test notices), and a
  function's final ``return`` is not dropped (that is ``return None``).
* **Identity** (:attr:`Mutant.id`): ``<scope>:<operator>:<hash>``, where the scope is
  the enclosing function's qualified name and the hash covers the operator, the
  scope, the normalised source of the enclosing statement (its header only for
  ``if``/``for``/``while``/``with``/``try``/``def``), the header of the compound
  statement around it, and the original and mutated text of the changed node; a
  ``#n`` suffix numbers repeats of the same change in the same context. No line
  numbers: an edit elsewhere keeps every id; an edit to the statement itself gives
  its mutants new ids (and makes an equivalents entry for one of them stale).
"""

from __future__ import annotations

import ast
import copy
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["OPERATORS", "Mutant", "generate", "mutate_tree"]

#: Every operator name, in the order of the module docstring.
OPERATORS: Final = (
    "compare",
    "boolean",
    "not",
    "arith",
    "number",
    "string",
    "bool",
    "return-none",
    "drop",
    "loop-jump",
    "slice",
    "if-true",
    "if-false",
)

_COMPARE_SWAPS: Final[dict[type[ast.cmpop], type[ast.cmpop]]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_ARITH_SWAPS: Final[dict[type[ast.operator], type[ast.operator]]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
}
_LOG_METHODS: Final = frozenset(
    {"debug", "info", "warning", "error", "exception", "critical", "log"}
)
_TYPING_CALLS: Final = frozenset(
    {"TypeVar", "cast", "NewType", "ParamSpec", "TypeVarTuple", "TypedDict", "NamedTuple"}
)
_TYPING_SUBSCRIPTS: Final = ("Literal", "Annotated")
_ERROR_SUFFIXES: Final = ("Error", "Exception", "Warning", "ExceptionGroup")
_MESSAGE_KEYWORDS: Final = frozenset({"message", "msg", "detail", "hint"})
_DROPPABLE: Final = (
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Raise,
    ast.Return,
    ast.Delete,
    ast.For,
    ast.AsyncFor,
    ast.While,
)


# -- mutants -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    """One mutation of one module (``module`` is its path under the package)."""

    module: str
    id: str
    operator: str
    line: int
    col: int
    original: str
    mutated: str
    scope: str
    end_line: int = 0  # the last line of the changed node (0: the same as ``line``)
    statement_line: int = 0  # the first line of the statement around it (0: ``line``)

    @property
    def lines(self) -> list[int]:
        """The lines where running the mutant shows: those of the changed node and the
        first line of its statement (a constant folded by the compiler, such as a tuple
        of strings over several lines, runs on that line only). A test that runs none
        of them runs none of the mutated code."""
        span = range(self.line, max(self.line, self.end_line) + 1)
        return sorted({*span, self.statement_line or self.line})

    def describe(self) -> str:
        return f"{self.operator}: {_short(self.original)} \u2192 {_short(self.mutated)}"


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _Site:
    operator: str
    node: ast.AST
    scope: str
    anchor: str
    original: str
    mutated: str
    apply: Callable[[], None]
    statement_line: int


def _unparse(node: ast.AST) -> str:
    return " ".join(ast.unparse(node).split())


def _header(stmt: ast.stmt) -> str:
    """The normalised text of a statement; a compound statement's header only."""
    if isinstance(stmt, ast.If | ast.While):
        word = "if" if isinstance(stmt, ast.If) else "while"
        return f"{word} {_unparse(stmt.test)}:"
    if isinstance(stmt, ast.For | ast.AsyncFor):
        return f"for {_unparse(stmt.target)} in {_unparse(stmt.iter)}:"
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return "with " + ", ".join(_unparse(item) for item in stmt.items) + ":"
    if isinstance(stmt, ast.Try | ast.TryStar):
        return "try:"
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return f"def {stmt.name}({_unparse(stmt.args)}):"
    if isinstance(stmt, ast.ClassDef):
        return f"class {stmt.name}:"
    if isinstance(stmt, ast.Match):
        return f"match {_unparse(stmt.subject)}:"
    return _unparse(stmt)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_logging_call(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    return node.func.attr in _LOG_METHODS and "log" in _unparse(node.func.value).lower()


def _is_text(node: ast.AST) -> bool:
    """A string, an f-string, or one followed by ``+ ...``/``% ...`` (``path + ".x"`` is not)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _is_text(node.left)
    return False


def _error_classes(tree: ast.Module) -> frozenset[str]:
    """This module's classes that derive from an exception (``class _Invalid(Exception)``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [_unparse(base).rsplit(".", 1)[-1] for base in node.bases]
            if any(base.endswith(_ERROR_SUFFIXES) or base in names for base in bases):
                names.add(node.name)
    return frozenset(names)


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _is_literal_sequence(node: ast.AST) -> bool:
    """Text or a list/tuple display (or an expression of them): ``+``/``*`` there is not math."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | bytes)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult | ast.Mod):
        return _is_literal_sequence(node.left) or _is_literal_sequence(node.right)
    return isinstance(node, ast.JoinedStr | ast.List | ast.Tuple | ast.ListComp)


def _is_dunder_assign(stmt: ast.stmt) -> bool:
    targets: list[ast.expr]
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        targets = [stmt.target]
    else:
        return False
    return all(
        isinstance(t, ast.Name) and t.id.startswith("__") and t.id.endswith("__") for t in targets
    )


def _is_type_checking(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.If) and _unparse(stmt.test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    )


def _replace(parent: ast.AST, name: str, index: int | None, new: ast.AST) -> Callable[[], None]:
    """A closure that puts ``new`` where the child ``parent.name[index]`` is."""

    def apply() -> None:
        if index is None:
            setattr(parent, name, new)
        else:
            getattr(parent, name)[index] = new

    return apply


class _Walker:
    """Collects every mutation site of a module, in source order."""

    def __init__(self, error_classes: frozenset[str] = frozenset()) -> None:
        self.error_classes = error_classes
        self.sites: list[_Site] = []
        self._scope: list[str] = []
        self._stmt: list[ast.stmt] = []
        self._function_depth = 0

    # -- recording --------------------------------------------------------------------

    def _add(
        self,
        operator: str,
        node: ast.AST,
        new: ast.AST,
        apply: Callable[[], None],
        *,
        original: str | None = None,
        mutated: str | None = None,
    ) -> None:
        if not hasattr(new, "lineno"):
            ast.copy_location(new, node)  # only new nodes: shared ones keep their place
        before = original if original is not None else _unparse(node)
        after = mutated if mutated is not None else _unparse(new)
        if before == after:
            return
        anchor = _header(self._stmt[-1]) if self._stmt else ""
        # The nearest enclosing if/for/while/with/try header (not the def: the scope
        # names it) tells apart the same statement under two different conditions.
        for outer in reversed(self._stmt[:-1]):
            if isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            anchor = f"{_header(outer)} / {anchor}"
            break
        scope = ".".join(self._scope) or "<module>"
        line = self._stmt[-1].lineno if self._stmt else 0
        self.sites.append(_Site(operator, node, scope, anchor, before, after, apply, line))

    # -- traversal --------------------------------------------------------------------

    def visit_body(self, parent: ast.AST, name: str, *, docstring: bool) -> None:
        """Visit a statement list; ``docstring``: a module, class or function body."""
        body: list[ast.stmt] = getattr(parent, name)
        function = isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef)
        for index, stmt in enumerate(body):
            if docstring and index == 0 and _is_docstring(stmt):
                continue
            last = function and index == len(body) - 1
            self.visit_stmt(stmt, parent, name, index, last_in_function=last)

    def visit_stmt(
        self, stmt: ast.stmt, parent: ast.AST, name: str, index: int, *, last_in_function: bool
    ) -> None:
        if isinstance(stmt, ast.Assert | ast.Import | ast.ImportFrom | ast.Global | ast.Nonlocal):
            return
        if isinstance(stmt, ast.Pass) or _is_dunder_assign(stmt) or _is_type_checking(stmt):
            return
        if isinstance(stmt, ast.Expr) and (
            _is_logging_call(stmt.value)
            or (isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis)
            or _is_docstring(stmt)  # an attribute docstring (after `X = ...`), or prose
        ):
            return
        self._stmt.append(stmt)
        try:
            self._statement_mutations(stmt, parent, name, index, last_in_function)
            self._visit_stmt_children(stmt)
        finally:
            self._stmt.pop()

    def _statement_mutations(
        self, stmt: ast.stmt, parent: ast.AST, name: str, index: int, last_in_function: bool
    ) -> None:
        in_function = self._function_depth > 0 and not isinstance(parent, ast.ClassDef)
        is_final_return = isinstance(stmt, ast.Return) and last_in_function
        bare_annotation = isinstance(stmt, ast.AnnAssign) and stmt.value is None
        if in_function and isinstance(stmt, _DROPPABLE) and not is_final_return:
            compound = isinstance(stmt, ast.For | ast.AsyncFor | ast.While)
            if not bare_annotation:
                self._add(
                    "drop",
                    stmt,
                    ast.Pass(),
                    _replace(parent, name, index, ast.Pass()),
                    original=_header(stmt) + " ..." if compound else None,
                )
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            value = stmt.value
            if not (isinstance(value, ast.Constant) and value.value is None):
                new = ast.Constant(None)
                self._add("return-none", value, new, _replace(stmt, "value", None, new))
        if isinstance(stmt, ast.Break | ast.Continue):
            swapped: ast.stmt = ast.Continue() if isinstance(stmt, ast.Break) else ast.Break()
            self._add("loop-jump", stmt, swapped, _replace(parent, name, index, swapped))
        if isinstance(stmt, ast.If) and not isinstance(stmt.test, ast.Constant):
            for operator, forced_value in (("if-true", True), ("if-false", False)):
                forced = ast.Constant(forced_value)
                self._add(operator, stmt.test, forced, _replace(stmt, "test", None, forced))
        if isinstance(stmt, ast.AugAssign) and type(stmt.op) in _ARITH_SWAPS:
            swap = _ARITH_SWAPS[type(stmt.op)]
            if not _is_literal_sequence(stmt.value):
                new_aug = copy.copy(stmt)
                new_aug.op = swap()
                self._add("arith", stmt, new_aug, _replace(parent, name, index, new_aug))

    def _visit_stmt_children(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self._visit_arguments(stmt.args)
            self._scope.append(stmt.name)
            self._function_depth += 1
            try:
                self.visit_body(stmt, "body", docstring=True)
            finally:
                self._function_depth -= 1
                self._scope.pop()
            return
        if isinstance(stmt, ast.ClassDef):
            self._scope.append(stmt.name)
            saved, self._function_depth = self._function_depth, 0
            try:
                self.visit_body(stmt, "body", docstring=True)
            finally:
                self._function_depth = saved
                self._scope.pop()
            return
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.visit_expr(stmt.value, stmt, "value", None)
            return
        for name, value in ast.iter_fields(stmt):
            if isinstance(value, list):
                if value and isinstance(value[0], ast.stmt):
                    self.visit_body(stmt, name, docstring=False)
                    continue
                for index, item in enumerate(value):
                    if isinstance(item, ast.expr):
                        self.visit_expr(item, stmt, name, index)
                    elif isinstance(item, ast.excepthandler | ast.withitem | ast.match_case):
                        self._visit_other(item)
            elif isinstance(value, ast.expr):
                self.visit_expr(value, stmt, name, None)

    def _visit_other(self, node: ast.AST) -> None:
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                if value and isinstance(value[0], ast.stmt):
                    self.visit_body(node, name, docstring=False)
                    continue
                for index, item in enumerate(value):
                    if isinstance(item, ast.expr):
                        self.visit_expr(item, node, name, index)
            elif isinstance(value, ast.expr):
                self.visit_expr(value, node, name, None)

    def _visit_arguments(self, args: ast.arguments) -> None:
        for index, default in enumerate(args.defaults):
            self.visit_expr(default, args, "defaults", index)
        for index, kw_default in enumerate(args.kw_defaults):
            if kw_default is not None:
                self.visit_expr(kw_default, args, "kw_defaults", index)

    def visit_expr(self, node: ast.expr, parent: ast.AST, name: str, index: int | None) -> None:
        """Record the mutations of ``node`` (``parent.name[index]``), then its children."""
        put = _replace  # shorthand
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                swap = _COMPARE_SWAPS.get(type(op))
                if swap is not None:
                    new_cmp = copy.copy(node)
                    new_cmp.ops = [*node.ops[:i], swap(), *node.ops[i + 1 :]]
                    self._add("compare", node, new_cmp, put(parent, name, index, new_cmp))
        elif isinstance(node, ast.BoolOp):
            new_bool = copy.copy(node)
            new_bool.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            self._add("boolean", node, new_bool, put(parent, name, index, new_bool))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self._add("not", node, node.operand, put(parent, name, index, node.operand))
        elif isinstance(node, ast.BinOp):
            swap_op = _ARITH_SWAPS.get(type(node.op))
            sequence = _is_literal_sequence(node.left) or _is_literal_sequence(node.right)
            if swap_op is not None and not sequence:
                new_bin = copy.copy(node)
                new_bin.op = swap_op()
                self._add("arith", node, new_bin, put(parent, name, index, new_bin))
        elif isinstance(node, ast.Constant):
            self._constant(node, parent, name, index)
            return
        elif isinstance(node, ast.JoinedStr):
            new_f = ast.JoinedStr(values=[ast.Constant("XX"), *node.values])
            self._add("string", node, new_f, put(parent, name, index, new_f))
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    self.visit_expr(value.value, value, "value", None)
            return
        elif isinstance(node, ast.IfExp):
            for operator, forced_value in (("if-true", True), ("if-false", False)):
                forced = ast.Constant(forced_value)
                self._add(operator, node.test, forced, put(node, "test", None, forced))
        elif isinstance(node, ast.Subscript):
            if _unparse(node.value).endswith(_TYPING_SUBSCRIPTS):
                return  # a type expression at run time (a Literal alias...)
            if isinstance(node.slice, ast.Slice):
                self._slice(node, node.slice)
        elif isinstance(node, ast.Call):
            self._call(node)
            return
        elif isinstance(node, ast.Lambda):
            self._visit_arguments(node.args)
        self._children(node)

    def _children(self, node: ast.AST) -> None:
        for child_name, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.expr):
                        self.visit_expr(item, node, child_name, i)
                    elif isinstance(item, ast.comprehension | ast.keyword):
                        self._children(item)
            elif isinstance(value, ast.expr):
                self.visit_expr(value, node, child_name, None)

    def _constant(self, node: ast.Constant, parent: ast.AST, name: str, index: int | None) -> None:
        value = node.value
        replacements: list[str | bytes | bool | int | float] = []
        operator = "number"
        if isinstance(value, bool):
            operator, replacements = "bool", [not value]
        elif isinstance(value, int):
            replacements = [value + 1, value - 1, 0]
        elif isinstance(value, float):
            replacements = [value + 1.0, 0.0]
        elif isinstance(value, str):
            operator, replacements = "string", [f"XX{value}XX"]
        elif isinstance(value, bytes):
            operator, replacements = "string", [b"XX" + value + b"XX"]
        seen = {repr(value)}
        for replacement in replacements:
            if repr(replacement) in seen:
                continue
            seen.add(repr(replacement))
            new = ast.Constant(replacement)
            self._add(operator, node, new, _replace(parent, name, index, new))

    def _slice(self, subscript: ast.Subscript, node: ast.Slice) -> None:
        for bound_name in ("lower", "upper"):
            bound = getattr(node, bound_name)
            if bound is None or _is_number(bound):
                continue
            if isinstance(bound, ast.BinOp) and (_is_number(bound.left) or _is_number(bound.right)):
                continue  # the number operator moves it already
            for op in (ast.Add(), ast.Sub()):
                moved = ast.BinOp(left=bound, op=op, right=ast.Constant(1))
                shown = copy.copy(subscript)
                shown.slice = copy.copy(node)
                setattr(shown.slice, bound_name, moved)
                self._add(
                    "slice",
                    bound,
                    moved,
                    _replace(node, bound_name, None, moved),
                    original=_unparse(subscript),
                    mutated=_unparse(shown),
                )

    def _call(self, node: ast.Call) -> None:
        callee = _call_name(node)
        self.visit_expr(node.func, node, "func", None)
        if callee in _TYPING_CALLS or _is_logging_call(node):
            return
        is_error = callee.endswith(_ERROR_SUFFIXES) or callee in self.error_classes
        for i, arg in enumerate(node.args):
            if is_error and _is_text(arg):
                continue  # an error message: see the module docstring
            self.visit_expr(arg, node, "args", i)
        for keyword in node.keywords:
            if is_error and keyword.arg in _MESSAGE_KEYWORDS and _is_text(keyword.value):
                continue
            self.visit_expr(keyword.value, keyword, "value", None)


def _sites(tree: ast.Module) -> list[_Site]:
    walker = _Walker(_error_classes(tree))
    walker.visit_body(tree, "body", docstring=True)
    return walker.sites


def _identify(module: str, sites: Sequence[_Site]) -> list[Mutant]:
    mutants: list[Mutant] = []
    counts: dict[str, int] = {}
    for site in sites:
        key = "\0".join((site.operator, site.scope, site.anchor, site.original, site.mutated))
        digest = hashlib.sha256(key.encode()).hexdigest()[:10]
        base = f"{site.scope}:{site.operator}:{digest}"
        counts[base] = counts.get(base, 0) + 1
        ident = base if counts[base] == 1 else f"{base}#{counts[base]}"
        node: Any = site.node
        mutants.append(
            Mutant(
                module=module,
                id=ident,
                operator=site.operator,
                line=int(node.lineno),
                col=int(node.col_offset) + 1,
                original=site.original,
                mutated=site.mutated,
                scope=site.scope,
                end_line=int(getattr(node, "end_lineno", None) or node.lineno),
                statement_line=site.statement_line,
            )
        )
    return mutants


def generate(source: str, module: str = "<snippet>") -> list[Mutant]:
    """Every mutant of ``source``, in source order."""
    return _identify(module, _sites(ast.parse(source)))


def mutate_tree(source: str, mutant_id: str | None, module: str = "<snippet>") -> ast.Module:
    """The AST of ``source`` with mutant ``mutant_id`` applied (``None``: unchanged)."""
    tree = ast.parse(source)
    if mutant_id is None:
        return tree
    sites = _sites(tree)
    for site, mutant in zip(sites, _identify(module, sites), strict=True):
        if mutant.id == mutant_id:
            site.apply()
            return ast.fix_missing_locations(tree)
    raise KeyError(f"no mutant {mutant_id!r} in {module}")
