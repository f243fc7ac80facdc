"""When a name really is torch's, and when code is guarded against the installed torch version.

- `torch_name(context, expr)`: the qualified name of a Name/Attribute chain, but only when its
  root name is an unambiguous import (every binding of it agrees, nothing else rebinds it at
  module level) and no enclosing function rebinds it (a parameter `F`, `for nn in ...`). The
  alias table of the context has no scopes; rules whose findings are definite (NN405) need this.
- `guarded(context, node, catches, test)`: the node sits under an `if`/ternary/`and` whose test
  is an environment check (`hasattr(torch, "compile")`, `torch.__version__ >= ...`,
  `is_torch_greater_or_equal(...)`), or in the body or a handler of a `try` catching one of
  `catches` (`AttributeError`, `ImportError`, ...): code written for another torch version.
- `parent(context, node)`: a parent map, built once per file and only for files where a rule
  has a candidate finding (most files never pay for it).
"""

from __future__ import annotations

import re
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, Optional, Set

import libcst as cst

from nnlint.context import FileContext
from nnlint.tree import children, concrete_types, iter_nodes


def _new_cache(_context: FileContext) -> dict:
    return {}


def _cache(context: FileContext) -> dict:
    """This module's facts about one file (kept for the file by FileContext.derived)."""
    return context.derived(_new_cache)


def imports_torch(context: FileContext) -> bool:
    cache = _cache(context)
    if "torch" not in cache:
        cache["torch"] = any(t == "torch" or t.startswith("torch.")
                             for targets in context.bindings.values() for t in targets)
    return cache["torch"]


def root_name(expr: cst.BaseExpression) -> Optional[cst.Name]:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


# ----- scopes ----------------------------------------------------------------------------------
def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


_BINDING_OR_SCOPE = concrete_types((
    cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp,
    cst.GeneratorExp, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.WithItem,
    cst.ExceptHandler, cst.NamedExpr))


def _bound_in(body: Iterable[cst.CSTNode], stop_at_scopes: bool) -> Set[str]:
    """Names bound by assignment-like statements in `body` (not by imports)."""
    names: Set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if type(node) not in _BINDING_OR_SCOPE:  # most nodes: skip the isinstance() chain below
            stack.extend(children(node))
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            names.add(node.name.value)
            if stop_at_scopes:
                continue
        if isinstance(node, cst.Lambda) or (stop_at_scopes and isinstance(
                node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp))):
            continue
        if isinstance(node, cst.Assign):
            for target in node.targets:
                names.update(_target_names(target.target))
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            names.update(_target_names(node.target))
        elif isinstance(node, cst.For):
            names.update(_target_names(node.target))
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            names.update(_target_names(node.asname.name))
        elif isinstance(node, cst.ExceptHandler) and node.name is not None:
            names.update(_target_names(node.name.name))
        elif isinstance(node, cst.NamedExpr):
            names.update(_target_names(node.target))
        stack.extend(children(node))
    return names


def _function_locals(context: FileContext, func: cst.FunctionDef) -> FrozenSet[str]:
    cache = _cache(context).setdefault("locals", {})
    found = cache.get(func)
    if found is None:
        params = func.params
        names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
        body = func.body.body if isinstance(func.body, cst.IndentedBlock) else [func.body]
        names |= _bound_in(body, stop_at_scopes=True)
        if _declares_globals(context):
            names -= {n.name.value for g in iter_nodes(list(body), cst.Global) for n in g.names}
        found = cache[func] = frozenset(names)
    return found


def _declares_globals(context: FileContext) -> bool:
    """Once per file, not per function: most files never say `global`."""
    cache = _cache(context)
    if "globals" not in cache:
        cache["globals"] = "global" in context.source
    return cache["globals"]


def _module_rebound(context: FileContext) -> FrozenSet[str]:
    """Names the module body binds other than by import (`F = None`, `def nn(): ...`)."""
    cache = _cache(context)
    if "module_rebound" not in cache:
        rebound = set()
        for stmt in context.module.body:
            for node in _statement_level(stmt):
                if isinstance(node, cst.Assign):
                    value = context.qualified_name(node.value)
                    for target in node.targets:
                        for name in _target_names(target.target):
                            if value is None or value != (context.bindings.get(name) or [None])[0]:
                                rebound.add(name)
                elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    rebound.add(node.name.value)
                elif isinstance(node, (cst.For, cst.AnnAssign, cst.AugAssign)):
                    rebound.update(_target_names(node.target))
                elif isinstance(node, cst.With):
                    for item in node.items:
                        if item.asname is not None:
                            rebound.update(_target_names(item.asname.name))
        cache["module_rebound"] = frozenset(rebound)
    return cache["module_rebound"]


def _statement_level(stmt: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The statement and the statements nested in its blocks, not entering defs or classes."""
    yield stmt
    if isinstance(stmt, cst.SimpleStatementLine):
        yield from stmt.body
    elif isinstance(stmt, (cst.If, cst.Try, cst.TryStar, cst.With, cst.For, cst.While, cst.Else,
                           cst.ExceptHandler, cst.Finally, cst.IndentedBlock)):
        for child in children(stmt):
            if isinstance(child, (cst.BaseStatement, cst.BaseSuite, cst.Else, cst.ExceptHandler,
                                  cst.Finally, cst.If)):
                yield from _statement_level(child)


def is_shadowed(context: FileContext, name: str) -> bool:
    """`name` is rebound by an enclosing function of the visitor, or ambiguously at module level."""
    targets = context.bindings.get(name)
    if targets is None or len(set(targets)) > 1 or name in _module_rebound(context):
        return True
    return any(isinstance(scope, cst.FunctionDef) and name in _function_locals(context, scope)
               for scope in context.scope)


def torch_name(context: FileContext, expr: cst.BaseExpression) -> Optional[str]:
    """The torch qualified name `expr` certainly stands for, or None."""
    root = root_name(expr)
    if root is None or root.value not in context.bindings or is_shadowed(context, root.value):
        return None
    qualified = context.qualified_name(expr)
    return qualified if qualified is not None and (qualified == "torch" or qualified.startswith("torch.")) else None


# ----- parents and guards ----------------------------------------------------------------------
def parent(context: FileContext, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    cache = _cache(context)
    parents: Optional[Dict[int, cst.CSTNode]] = cache.get("parents")
    if parents is None:
        parents = cache["parents"] = {}
        stack = [context.module]
        while stack:
            current = stack.pop()
            for child in children(current):
                parents[id(child)] = current
                stack.append(child)
    return parents.get(id(node))


def ancestors(context: FileContext, node: cst.CSTNode) -> Iterator[tuple]:
    """(parent, child) pairs from `node` up to the module."""
    child = node
    current = parent(context, node)
    while current is not None:
        yield current, child
        child, current = current, parent(context, current)


# An identifier in a test that asks about the environment rather than the data.
CAPABILITY_WORDS = re.compile(
    r"version|torch_?(?:\d|ge\b|gt\b|lt\b|le\b|greater|less|older|newer|before|after)|"
    r"^_?(?:pt|pytorch|torch|th)_?\d|^hasattr$|^getattr$|available|support|(?:^|_)has_|^callable$",
    re.IGNORECASE,
)
# An identifier that names torch's version (TORCH_VERSION, is_torch_greater_or_equal, _TORCH_GE_2_4,
# pt_version): `force_conversion` or a config's `version` field are not.
TORCH_VERSION_NAME = re.compile(
    r"torch_?(?:version|ver(?![a-z])|\d|(?:ge|gt|lt|le|eq)(?![a-z])|greater|less|older|newer|"
    r"before|after|at_?least)|(?:old|new|legacy)_?torch|^_?(?:pt|th)_?(?:\d|version|ver(?![a-z]))",
    re.IGNORECASE,
)


def is_torch_version_test(context: FileContext, expr: cst.CSTNode) -> bool:
    """A test of the installed torch: `torch.__version__ >= "2.0"`, `TORCH_VERSION < (1, 13)`,
    `is_torch_greater_or_equal("2.4")`, `hasattr(torch.serialization, "add_safe_globals")`,
    `"weights_only" in inspect.signature(torch.load).parameters`. `hasattr(cfg, ...)` is not."""
    for node in iter_nodes(expr, (cst.Name, cst.Attribute, cst.Call, cst.SimpleString)):
        if isinstance(node, cst.SimpleString):
            if "weights_only" in node.value:
                return True
        elif isinstance(node, cst.Call):
            if isinstance(node.func, cst.Name) and node.func.value in ("hasattr", "getattr") \
                    and node.args and torch_name(context, node.args[0].value) is not None:
                return True
        elif isinstance(node, cst.Attribute):
            qualified = torch_name(context, node) or ""
            if qualified == "torch.__version__" or qualified.startswith("torch.version.") \
                    or TORCH_VERSION_NAME.search(node.attr.value):
                return True
        elif TORCH_VERSION_NAME.search(node.value):
            return True
    return False


def is_environment_test(expr: cst.CSTNode) -> bool:
    for node in iter_nodes(expr, (cst.Name, cst.Attribute)):
        text = node.value if isinstance(node, cst.Name) else node.attr.value
        if CAPABILITY_WORDS.search(text):
            return True
    return False


IMPORT_ERRORS = frozenset({"AttributeError", "ImportError", "ModuleNotFoundError", "Exception",
                           "BaseException", "RuntimeError", "NotImplementedError"})


def _catches(handler: cst.ExceptHandler, names: FrozenSet[str]) -> bool:
    if handler.type is None:
        return True
    caught = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
    for element in caught:
        value = element.value if isinstance(element, cst.Element) else element
        name = value.value if isinstance(value, cst.Name) else \
            value.attr.value if isinstance(value, cst.Attribute) else None
        if name in names:
            return True
    return False


def guarded(context: FileContext, node: cst.CSTNode, catches: FrozenSet[str] = IMPORT_ERRORS,
            test: Optional[Callable[[cst.CSTNode], bool]] = None) -> bool:
    """`node` runs only where an environment check (`test`, by default is_environment_test) or
    an exception handler expects it might not."""
    test = test or is_environment_test
    for above, child in ancestors(context, node):
        if isinstance(above, (cst.If, cst.IfExp, cst.While)) and test(above.test):
            return True
        if isinstance(above, cst.BooleanOperation) and child is above.right and test(above.left):
            return True
        if isinstance(above, (cst.Try, cst.TryStar)):
            if child is above.body and any(_catches(h, catches) for h in above.handlers):
                return True
        if isinstance(above, cst.ExceptHandler) and child is above.body and _catches(above, catches):
            return True
        if isinstance(above, cst.With) and child is above.body and any(
                _suppresses(item.item, catches) for item in above.items):
            return True
    return False


def _suppresses(expr: cst.BaseExpression, catches: FrozenSet[str]) -> bool:
    """`contextlib.suppress(AttributeError, ...)`."""
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
    return name == "suppress" and any(
        (isinstance(a.value, cst.Name) and a.value.value in catches)
        or (isinstance(a.value, cst.Attribute) and a.value.attr.value in catches) for a in expr.args)


# ----- call arguments --------------------------------------------------------------------------
UNKNOWN = object()  # a *args/**kwargs could carry the argument


def argument(call: cst.Call, keyword: str, position: Optional[int]):
    """The Arg passing `keyword` (by name, or at `position` among the positionals), None when it
    is absent, or UNKNOWN when a `*args`/`**kwargs` could carry it."""
    positional = 0
    unknown = False
    for arg in call.args:
        if arg.star == "**":
            unknown = True
        elif arg.star == "*":
            unknown = unknown or (position is not None and positional <= position)
        elif arg.keyword is None:
            if positional == position:
                return arg
            positional += 1
        elif arg.keyword.value == keyword:
            return arg
    return UNKNOWN if unknown else None


def is_literal(expr: cst.BaseExpression, value) -> bool:
    """`expr` is the literal True/False/None (value True, False, None)."""
    return isinstance(expr, cst.Name) and expr.value == repr(value)


# ----- what a file probes or patches -------------------------------------------------------------
def probed_names(context: FileContext) -> FrozenSet[str]:
    """Qualified names the file tests for (`hasattr(F, "x")`, `getattr(torch, "x", None)`,
    `"x" in dir(F)`) or assigns itself (`torch.x = ...`, `setattr(torch, "x", ...)`): a use of
    such a name is written for another torch version, or for the file's own patch."""
    cache = _cache(context)
    if "probed" not in cache:
        found = set()
        module = context.module
        for assign in iter_nodes(module, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del)):
            targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
            for target in targets:
                if isinstance(target, cst.Attribute):
                    owner = context.qualified_name(target.value)
                    if owner:
                        found.add(f"{owner}.{target.attr.value}")
        for call in iter_nodes(module, cst.Call):
            func = call.func
            if isinstance(func, cst.Name) and func.value in ("hasattr", "getattr", "setattr", "delattr") \
                    and len(call.args) >= 2 and isinstance(call.args[1].value, cst.SimpleString):
                owner = context.qualified_name(call.args[0].value)
                if owner:
                    found.add(f"{owner}.{call.args[1].value.evaluated_value}")
        for comparison in iter_nodes(module, cst.Comparison):
            left = comparison.left
            for target in comparison.comparisons:
                right = target.comparator
                if isinstance(left, cst.SimpleString) and isinstance(right, cst.Call) \
                        and isinstance(right.func, cst.Name) and right.func.value in ("dir", "vars") \
                        and right.args:
                    owner = context.qualified_name(right.args[0].value)
                    if owner:
                        found.add(f"{owner}.{left.evaluated_value}")
        cache["probed"] = frozenset(found)
    return cache["probed"]
