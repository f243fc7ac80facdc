"""Plain lists, tuples and dicts on `self` that hold Modules (NN101) or Parameters (NN102).

One analysis per Module class, parameterised by what counts as an element (`builds`: a call
-> the class name it constructs, or None). It finds

- `self.x = [Block(), Block()]`, `(...)`, `{"a": Block()}`, comprehensions, `list(...)`,
  `[Block()] * n`;
- `self.x = []` (or `{}`, `list()`, `dict()`, `OrderedDict()`) in `__init__`, later filled with
  `.append/.extend/.insert/[k] =` of constructions;

and leaves alone a container that is wrapped or registered elsewhere in the class
(`nn.ModuleList(self.x)`, `nn.Sequential(*self.x)`, `self.add_module(name, m)` over it), and
lists of references (`[self.fc1, self.fc2]`, or of locals also registered by name:
`self.register_parameter(n, w); self.ws.append(w)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set

import libcst as cst

from nnlint.context import ClassInfo, FileContext
from nnlint.finding import Applicability
from nnlint.fix import TreeFix
from nnlint.rules._fixes import call_of
from nnlint.tree import first_param_name, iter_nodes

Builds = Callable[[cst.Call], Optional[str]]

REGISTERING_METHODS = frozenset({"add_module", "register_module", "register_parameter",
                                 "register_buffer", "setattr"})
FILLING_METHODS = frozenset({"append", "extend", "insert", "update"})
# Operations a plain list/dict has and ModuleList/ModuleDict (ParameterList/Dict) lack.
LIST_ONLY = frozenset({"sort", "copy", "index", "count", "remove", "clear", "reverse"})
DICT_ONLY = frozenset({"get", "setdefault", "copy", "popitem", "fromkeys"})
EMPTY_FACTORIES = {"builtins.list": "list", "builtins.dict": "dict",
                   "collections.OrderedDict": "dict", "typing.OrderedDict": "dict"}


@dataclass
class Hidden:
    statement: cst.CSTNode  # the assignment that stores the container
    attr: str
    kind: str  # "list", "tuple" or "dict"
    classes: List[str]  # the constructed classes, in order (empty if unknown)
    built_in: str = ""  # "a list comprehension", ...: set when the count is unknown
    filled_at: Optional[cst.CSTNode] = None  # the first .append/... that fills it
    fix_value: Optional[cst.CSTNode] = None  # the value to replace ...
    fix_container: str = ""  # ... with "ModuleList" / "ModuleDict" (or Parameter*) around it


@dataclass
class _Attr:
    assignments: List[cst.CSTNode] = field(default_factory=list)  # statements `self.x = ...`
    fills: List[tuple] = field(default_factory=list)  # (call/assign node, element classes or None)
    methods_used: Set[str] = field(default_factory=set)
    wrapped: bool = False


def find_hidden(context: FileContext, info: ClassInfo, builds: Builds) -> List[Hidden]:
    attrs: Dict[str, _Attr] = {}
    in_init = info.methods_called_from("__init__")
    found: List[Hidden] = []

    def attr_of(expr) -> Optional[str]:
        if (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
                and expr.value.value == self_name):
            return expr.attr.value
        return None

    for method_name, method in info.methods.items():
        self_name = first_param_name(method)
        if self_name is None:
            continue
        locals_built = _locals_built(context, method, builds)

        def classes_of(expr) -> Optional[List[str]]:
            return _element_classes(expr, builds, locals_built)

        for call in context.nodes_in(method, cst.Call):
            _note_call(call, attr_of, attrs, classes_of, builds, context)
        for loop in context.nodes_in(method, cst.For):
            # `for i, m in enumerate(self.x): self.add_module(str(i), m)` registers them all
            iterated = {attr_of(node) for node in iter_nodes(loop.iter, cst.Attribute)} - {None}
            if iterated and any(_is_registering(c) for c in iter_nodes(loop.body, cst.Call)):
                for attr in iterated:
                    attrs.setdefault(attr, _Attr()).wrapped = True
        for assign in context.nodes_in(method, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
            for target in targets:
                if isinstance(target, cst.Subscript) and attr_of(target.value):  # self.x[k] = m
                    attrs.setdefault(attr_of(target.value), _Attr()).fills.append(
                        (assign, classes_of(assign.value), _key_is_string(target)))
                attr = attr_of(target)
                if attr is None or assign.value is None:
                    continue
                if isinstance(assign, cst.AugAssign):  # self.x += [m1, m2]
                    attrs.setdefault(attr, _Attr()).fills.append((assign, _container_classes(assign.value, builds, locals_built), True))
                    continue
                attrs.setdefault(attr, _Attr())
                hidden = _stored_container(assign, attr, builds, locals_built)
                if hidden is not None:
                    found.append(hidden)
                elif method_name in in_init and _empty_kind(assign.value, context):
                    attrs[attr].assignments.append(assign)

    result = []
    for hidden in found:
        state = attrs.get(hidden.attr)
        if state is not None and state.wrapped:
            continue
        if state is not None and state.methods_used & (DICT_ONLY if hidden.kind == "dict" else LIST_ONLY):
            hidden.fix_value = None
        result.append(hidden)
    for attr, state in attrs.items():
        if state.wrapped or not state.assignments:
            continue
        filled = [(node, classes, key_ok) for node, classes, key_ok in state.fills if classes]
        if not filled:
            continue
        statement = state.assignments[0]
        kind = _empty_kind(statement.value, context)
        hidden = Hidden(statement, attr, kind, [c for _, classes, _ in filled for c in classes],
                        filled_at=filled[0][0])
        all_fills_ok = all(classes for _, classes, _ in state.fills)
        keys_ok = all(key_ok for _, _, key_ok in state.fills)
        forbidden = DICT_ONLY if kind == "dict" else LIST_ONLY
        if all_fills_ok and (kind == "list" or keys_ok) and not state.methods_used & forbidden:
            hidden.fix_value, hidden.fix_container = statement.value, kind
        result.append(hidden)
    return result


def describe(hidden: Hidden, context, what: str) -> str:
    """`self.blocks holds 3 nn.Linear in a plain list` and its variants."""
    names = sorted(set(hidden.classes))
    shown = names[0] if len(names) == 1 else f"{what}s ({', '.join(names)})"
    if hidden.filled_at is not None:
        line = context.position(hidden.filled_at).start.line
        return f"`self.{hidden.attr}` is a plain {hidden.kind} filled with {shown} (line {line})"
    if hidden.built_in:
        return f"`self.{hidden.attr}` holds {shown} built in {hidden.built_in}, in a plain {hidden.kind}"
    return f"`self.{hidden.attr}` holds {len(hidden.classes)} {shown} in a plain {hidden.kind}"


def _note_call(call, attr_of, attrs, classes_of, builds, context) -> None:
    func = call.func
    # self.x.append(m) / .extend([...]) / .insert(i, m) / .update({...}), and other methods used
    if isinstance(func, cst.Attribute):
        attr = attr_of(func.value)
        if attr is not None:
            state = attrs.setdefault(attr, _Attr())
            state.methods_used.add(func.attr.value)
            if func.attr.value in FILLING_METHODS and call.args:
                value = call.args[-1].value
                if func.attr.value in ("extend", "update"):
                    classes = _container_classes(value, builds, None)
                    state.fills.append((call, classes, func.attr.value == "extend" or _dict_keys_are_strings(value)))
                else:
                    state.fills.append((call, classes_of(value), True))
    # nn.ModuleList(self.x), nn.Sequential(*self.x), self.add_module("a", self.x[0]) ...
    if builds(call) or context.builds_module(call) or _is_registering(call):
        for arg in call.args:
            for node in iter_nodes(arg.value, cst.Attribute):
                attr = attr_of(node)
                if attr is not None:
                    attrs.setdefault(attr, _Attr()).wrapped = True


def _is_registering(call: cst.Call) -> bool:
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in REGISTERING_METHODS


def _locals_built(context: FileContext, method: cst.FunctionDef, builds: Builds) -> Dict[str, str]:
    """Local names bound to a construction anywhere in the method (`layer = nn.Linear(...)`)."""
    found = {}
    for assign in context.nodes_in(method, cst.Assign):
        if isinstance(assign.value, cst.Call):
            built = builds(assign.value)
            if built:
                for target in assign.targets:
                    if isinstance(target.target, cst.Name):
                        found[target.target.value] = built
    # A local also registered by name (`self.register_parameter(n, w)`, `self.add_module(n, m)`,
    # `setattr(self, n, m)`) is registered: a container of it holds references.
    for call in context.nodes_in(method, cst.Call) if found else ():
        if _is_registering(call):
            for arg in call.args:
                if isinstance(arg.value, cst.Name):
                    found.pop(arg.value.value, None)
    return found


def _element_classes(expr, builds: Builds, locals_built) -> Optional[List[str]]:
    """The classes `expr` constructs if it certainly is one of the elements we look for."""
    if isinstance(expr, cst.Call):
        built = builds(expr)
        return [built] if built else None
    if isinstance(expr, cst.Name) and locals_built and expr.value in locals_built:
        return [locals_built[expr.value]]
    if isinstance(expr, cst.IfExp):
        body = _element_classes(expr.body, builds, locals_built)
        orelse = _element_classes(expr.orelse, builds, locals_built)
        return body + orelse if body and orelse else None
    return None


def _container_classes(expr, builds: Builds, locals_built) -> Optional[List[str]]:
    """Classes held by a literal or comprehension whose every element is a construction."""
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        if not expr.elements:
            return None
        classes = []
        for element in expr.elements:
            if isinstance(element, cst.StarredElement):
                return None
            found = _element_classes(element.value, builds, locals_built)
            if not found:
                return None
            classes += found
        return classes
    if isinstance(expr, cst.Dict):
        classes = []
        for element in expr.elements:
            if isinstance(element, cst.StarredDictElement):
                return None
            found = _element_classes(element.value, builds, locals_built)
            if not found:
                return None
            classes += found
        return classes or None
    if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return _element_classes(expr.elt, builds, locals_built)
    if isinstance(expr, cst.DictComp):
        return _element_classes(expr.value, builds, locals_built)
    return None


COMPREHENSION_WORDS = {cst.ListComp: "a list comprehension", cst.GeneratorExp: "a generator",
                       cst.DictComp: "a dict comprehension", cst.SetComp: "a set comprehension"}


def _stored_container(assign, attr: str, builds: Builds, locals_built) -> Optional[Hidden]:
    """`self.x = <literal/comprehension/list(...)/[m] * n>` holding at least one construction."""
    value = assign.value
    inner, kind = value, None
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
            and value.func.value in ("list", "tuple", "dict") and len(value.args) == 1 \
            and isinstance(value.args[0].value, (cst.GeneratorExp, cst.ListComp, cst.List, cst.Tuple, cst.DictComp, cst.Dict)):
        inner, kind = value.args[0].value, value.func.value
    elif isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply) \
            and isinstance(value.left, cst.List):
        classes = _any_constructions(value.left, builds, locals_built)
        if classes:
            return Hidden(assign, attr, "list", classes, built_in="a repeated list")
        return None
    if isinstance(inner, (cst.List, cst.ListComp, cst.GeneratorExp)):
        kind = kind or "list"
    elif isinstance(inner, cst.Tuple):
        kind = kind or "tuple"
    elif isinstance(inner, (cst.Dict, cst.DictComp)):
        kind = kind or "dict"
    else:
        return None
    if isinstance(inner, (cst.List, cst.Tuple, cst.Dict)):
        classes = _any_constructions(inner, builds, locals_built)
        if not classes:
            return None
        hidden = Hidden(assign, attr, kind, classes)
        certain = _container_classes(inner, builds, locals_built)
        if certain and (kind != "dict" or _dict_keys_are_strings(inner)):
            hidden.fix_value = value
            hidden.fix_container = "dict" if kind == "dict" else "list"
        return hidden
    classes = _container_classes(inner, builds, locals_built)
    if not classes:
        return None
    hidden = Hidden(assign, attr, kind, classes, built_in=COMPREHENSION_WORDS[type(inner)])
    if kind == "dict":
        if _comprehension_key_is_string(inner):
            hidden.fix_value, hidden.fix_container = value, "dict"
    else:
        hidden.fix_value, hidden.fix_container = value, "list"
    return hidden


def _any_constructions(literal, builds: Builds, locals_built) -> List[str]:
    classes = []
    for element in literal.elements:
        if isinstance(element, (cst.StarredElement, cst.StarredDictElement)):
            continue
        classes += _element_classes(element.value, builds, locals_built) or []
    return classes


def _is_string(expr) -> bool:
    return isinstance(expr, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)) or (
        isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "str")


def _dict_keys_are_strings(expr) -> bool:
    return isinstance(expr, cst.Dict) and all(
        isinstance(e, cst.DictElement) and _is_string(e.key) for e in expr.elements)


def _comprehension_key_is_string(expr) -> bool:
    return isinstance(expr, cst.DictComp) and _is_string(expr.key)


def _key_is_string(target: cst.Subscript) -> bool:
    return len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index) \
        and _is_string(target.slice[0].slice.value)


def _empty_kind(value, context: FileContext) -> Optional[str]:
    if isinstance(value, cst.List) and not value.elements:
        return "list"
    if isinstance(value, cst.Dict) and not value.elements:
        return "dict"
    if isinstance(value, cst.Call) and not value.args:
        return EMPTY_FACTORIES.get(context.qualified_name(value.func) or "")
    return None


def container_fix(hidden: Hidden, context: FileContext, list_class: str, dict_class: str):
    """The fix of `hidden.fix_value`: the container wrapped in the torch class (imported when
    the file has no name for it), or None."""
    if hidden.fix_value is None:
        return None
    reference = context.spell_or_import(
        f"torch.nn.{dict_class if hidden.fix_container == 'dict' else list_class}")
    if reference is None:
        return None
    spelled, imports = reference
    value = hidden.fix_value
    if _empty_kind(value, context):
        new_value = call_of(spelled)
    elif isinstance(value, cst.Call):  # list(genexp) / tuple([...]) / dict(...)
        new_value = value.with_changes(func=cst.parse_expression(spelled))
    else:
        if isinstance(value, cst.Tuple):
            value = cst.List(elements=value.elements)
        new_value = call_of(spelled, value)
    description = f"wrap in {spelled}" + "".join(f", imported from {module}" for module, _ in imports)
    # Registering changes what the model saves (state_dict keys: older checkpoints no longer
    # load strictly), trains (parameters()) and moves (.to()): see the rules' Fix safety.
    return TreeFix.replace(hidden.fix_value, new_value, description, Applicability.UNSAFE, imports)
