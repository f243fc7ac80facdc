"""One scope's flow and the expression evaluator: what each expression of a function (or of
the module's top-level code) holds, from what reaches its names, the calls it makes and the
attributes of `self` it reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

import libcst as cst

from nnlint import torch_api
from nnlint.context import ClassInfo
from nnlint.dataflow.annotations import annotated
from nnlint.dataflow.lattice import (BOTTOM, MODULE, NOT_LOCAL, OPTIMIZER, TENSOR, TENSOR_KIND, TUPLE, Kind,
                                     Scope, Value, is_tensor, join, known, tuple_of)
from nnlint.dataflow.walker import Walker, assigned_names, yields
from nnlint.torch_tables import (ACTIVATION_ORIGINS, F_LOSSES, F_NOT_A_TENSOR, FACTORIES, FUNCTIONAL,
                                 KEEPS_ACTIVATION, KEEPS_DEVICE, KEEPS_LOSS, METHOD_ORIGINS,
                                 NOT_A_TENSOR, RETURNS_MODULE, TENSOR_ATTRIBUTES, TENSOR_FUNCTIONS)
from nnlint.tree import first_param_name, has_star_args, is_number, keyword, positional

if TYPE_CHECKING:
    from nnlint.dataflow.file import Dataflow


class Flow:
    """The kinds of one scope's names, at each of their uses."""

    def __init__(self, dataflow: "Dataflow", scope: Scope, class_info: Optional[ClassInfo],
                 attr_kinds: Callable[[str], Optional[Kind]], typed: bool = True):
        self.dataflow = dataflow
        self.typed = typed  # parameters typed from the callers' arguments (see Dataflow.argument_kinds)
        self.context = dataflow.context
        self.scope = scope
        self.class_info = class_info
        self._attr_kinds = attr_kinds
        if isinstance(scope, cst.Module):
            body = scope.body
        else:
            body = scope.body.body if isinstance(scope.body, cst.IndentedBlock) else [scope.body]
        self.locals, self.declared = assigned_names(body)
        self.self_name: Optional[str] = None
        self.params: Dict[str, Optional[Kind]] = {}
        if isinstance(scope, cst.FunctionDef):
            if class_info is not None:
                self.self_name = first_param_name(scope)
            self._read_params(scope)
        self.uses: Dict[int, Value] = {}  # id(Name node) -> what reaches that use
        self.bound: Dict[str, Value] = {name: BOTTOM for name in self.locals}  # every binding, joined
        for name, value in self.params.items():
            self.bound[name] = value
        self.returns: Value = BOTTOM  # join of the returned values
        self.attr_writes: List[Tuple[str, Value, cst.CSTNode]] = []  # self.X = value
        self._walker = Walker(self)
        env = {name: BOTTOM for name in self.locals}
        env.update(self.params)
        self._walker.block(body, env)
        if isinstance(scope, cst.FunctionDef) and dataflow.has_yield and yields(body):
            self.returns = None

    def _read_params(self, function: cst.FunctionDef) -> None:
        """A parameter's kind: its annotation, else what every call of the function in the file
        passes (see Dataflow.argument_kinds)."""
        params = function.params
        from_callers = None
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            name = param.name.value
            kind = annotated(self.context, param.annotation.annotation) if param.annotation else None
            if kind is None and name != self.self_name and self.typed:
                if from_callers is None:
                    from_callers = self.dataflow.argument_kinds(function)
                kind = from_callers.get(name)
            self.params[name] = kind
            self.locals.discard(name)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.params[star.name.value] = None
                self.locals.discard(star.name.value)

    # ----- queries ---------------------------------------------------------------------------------
    def kind(self, expr: cst.BaseExpression) -> Optional[Kind]:
        """What `expr` (an expression of this scope) holds, or None when it is not known."""
        return known(self._safe_kind(expr))

    def _safe_kind(self, expr: cst.BaseExpression) -> Value:
        try:
            return self._kind(expr)
        except RecursionError:  # an expression nested thousands deep: not worth knowing
            return None

    def name_kind(self, name: cst.Name) -> Value:
        """What reaches this use of a name; NOT_LOCAL for a name the scope (and the scopes
        around it) never bind."""
        if id(name) in self.uses:
            return self.uses[id(name)]
        return self._free(name.value)

    def _free(self, name: str):
        if name in self.params:
            return self.params[name]
        if name in self.locals or name in self.declared:
            return known(self.bound.get(name, BOTTOM)) if name in self.locals else None
        return self.dataflow.outer_kind(self.scope, name)

    def is_local(self, name: str) -> bool:
        return name in self.locals or name in self.params

    def attr_kind(self, attr: str) -> Value:
        return self._attr_kinds(attr)

    def is_self(self, expr: cst.BaseExpression) -> bool:
        return self.self_name is not None and isinstance(expr, cst.Name) and expr.value == self.self_name

    # ----- evaluation --------------------------------------------------------------------------------
    def _kind(self, expr: cst.BaseExpression) -> Value:
        if isinstance(expr, cst.Name):
            value = self.name_kind(expr)
            return None if value is NOT_LOCAL else value
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr)
        if isinstance(expr, cst.Call):
            return self._call(expr)
        if isinstance(expr, cst.BinaryOperation):
            spine = []  # `a + b + c + ...` nests to the left: follow it without recursion
            while isinstance(expr, cst.BinaryOperation):
                spine.append(expr)
                expr = expr.left
            value = self._kind(expr)
            for operation in reversed(spine):
                value = self._binary(value, operation.left, self._kind(operation.right), operation.right)
            return value
        if isinstance(expr, cst.UnaryOperation):
            inner = self._kind(expr.expression)
            if inner is BOTTOM:
                return BOTTOM
            if inner is not None and inner.is_tensor and not isinstance(expr.operator, cst.Not):
                return Kind(TENSOR, origin=inner.origin if inner.origin in ("loss", "factory") else None,
                            site=inner.site if inner.origin == "factory" else None)
            return None
        if isinstance(expr, cst.Comparison):
            if any(isinstance(c.operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn)) for c in expr.comparisons):
                return None
            operands = [expr.left, *(c.comparator for c in expr.comparisons)]
            if any(is_tensor(self._kind(o)) for o in operands):
                return TENSOR_KIND
            return None
        if isinstance(expr, cst.Subscript):
            base = self._kind(expr.value)
            if base is BOTTOM:
                return BOTTOM
            if base is not None and base.is_tensor:
                if base.origin == "factory":
                    return base
                return TENSOR_KIND
            if base is not None and base.category == TUPLE:
                index = _literal_index(expr)
                if index is not None and -len(base.elements) <= index < len(base.elements):
                    return base.elements[index]
            return None
        if isinstance(expr, cst.Tuple):
            if any(isinstance(e, cst.StarredElement) for e in expr.elements):
                return None
            values = [self._kind(e.value) for e in expr.elements]
            return BOTTOM if any(v is BOTTOM for v in values) else tuple_of(values)
        if isinstance(expr, cst.IfExp):
            return known(join(self._kind(expr.body), self._kind(expr.orelse)))
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            return known(join(self._kind(expr.left), self._kind(expr.right)))  # `optimizer or SGD(...)`
        if isinstance(expr, cst.NamedExpr):
            return self._kind(expr.value)
        return None

    def _attribute(self, expr: cst.Attribute) -> Value:
        if self.is_self(expr.value):
            return self.attr_kind(expr.attr.value)
        base = self._kind(expr.value)
        if base is BOTTOM:
            return BOTTOM
        if base is not None and base.is_module:
            return self.dataflow.member(base, expr.attr.value)
        if base is not None and base.is_tensor and expr.attr.value in TENSOR_ATTRIBUTES:
            return Kind(TENSOR, origin="detached") if expr.attr.value == "data" else TENSOR_KIND
        return None

    def _binary(self, left: Value, left_expr, right: Value, right_expr) -> Value:
        if left is BOTTOM or right is BOTTOM:
            return BOTTOM  # not bound yet on this path (a first loop iteration, a first round)
        if not is_tensor(left) and not is_tensor(right):
            return None
        if is_tensor(left) and is_tensor(right):
            if left.origin == "loss" or right.origin == "loss":
                return Kind(TENSOR, origin="loss")
            return TENSOR_KIND
        tensor, other_expr = (left, right_expr) if is_tensor(left) else (right, left_expr)
        if tensor.origin == "loss":
            return tensor
        if tensor.origin == "factory" and is_number(other_expr):
            return tensor
        return TENSOR_KIND

    def _call(self, call: cst.Call) -> Value:
        func = call.func
        function = self._file_function(func)
        if function is not None:  # a factory of the file: `build_model()`
            return self.dataflow.function_returns(function)
        qualified = self._qualified(func)
        if qualified is not None:
            return qualified_call(self.dataflow, qualified, call)
        if self.is_self(func):  # self(x): this Module's own forward
            return self._own_output()
        if isinstance(func, cst.Attribute) and self.is_self(func.value):
            if func.attr.value == "forward":
                return self._own_output()
            method = self.class_info.methods.get(func.attr.value) if self.class_info is not None else None
            if method is not None:
                return self.dataflow.function_returns(method)
            callee = self.attr_kind(func.attr.value)
            if callee is BOTTOM:
                return BOTTOM
            if callee is not None and callee.is_module:
                return self.dataflow.module_output(callee, call)
            return None
        if isinstance(func, cst.Attribute):
            receiver = self._kind(func.value)
            method = func.attr.value
            if receiver is BOTTOM:
                return BOTTOM
            if receiver is None:
                # methods only tensors have: `logits.softmax(dim=1)`, `out.sigmoid()`
                return Kind(TENSOR, origin=METHOD_ORIGINS[method]) if method in METHOD_ORIGINS else None
            if receiver.is_tensor:
                return _tensor_method(receiver, method, call)
            if receiver.is_module:
                if method in RETURNS_MODULE:
                    return receiver
                if method == "forward":
                    return self.dataflow.module_output(receiver, call)
                member = self.dataflow.member(receiver, method)
                if member is not None and member.is_module:
                    return self.dataflow.module_output(member, call)
            return None
        callee = self._kind(func)
        if callee is BOTTOM:
            return BOTTOM
        if callee is not None and callee.is_module:
            return self.dataflow.module_output(callee, call)
        return None

    def _own_output(self) -> Value:
        if self.class_info is None or not self.class_info.is_module:
            return None
        return self.dataflow.class_output(self.class_info.name)

    def _file_function(self, func: cst.BaseExpression) -> Optional[cst.FunctionDef]:
        """The module-level function of the file that `func` names, unless a local shadows it."""
        if not isinstance(func, cst.Name) or self.is_local(func.value):
            return None
        return self.dataflow.functions.get(func.value)

    def _qualified(self, func: cst.BaseExpression) -> Optional[str]:
        """The qualified name of a called function, unless its root is a value of this scope."""
        root = func
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name) or root.value == self.self_name:
            return None
        if not isinstance(self.scope, cst.Module) and self.is_local(root.value):
            return None
        return self.context.qualified_name(func)



def _literal_index(expr: cst.Subscript) -> Optional[int]:
    """`3` in `out[3]`, `-1` in `out[-1]`."""
    if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return None
    value = expr.slice[0].slice.value
    sign = 1
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        sign, value = -1, value.expression
    return sign * int(value.value) if isinstance(value, cst.Integer) else None


def _tensor_method(receiver: Kind, method: str, call: cst.Call) -> Value:
    if method in NOT_A_TENSOR or method.startswith(("is_", "_")) or method in (
            "item", "tolist", "numpy"):
        return None
    if method == "detach" or method == "detach_":
        return Kind(TENSOR, origin="detached")
    if method in METHOD_ORIGINS:
        return Kind(TENSOR, origin=METHOD_ORIGINS[method])
    origin = receiver.origin
    if origin == "loss" and method in KEEPS_LOSS:
        return receiver
    if origin in ("softmax", "log_softmax", "sigmoid") and method in KEEPS_ACTIVATION:
        return receiver
    if origin == "factory" and method in KEEPS_DEVICE:
        return receiver
    if method in torch_api.tensor_methods():
        return TENSOR_KIND
    return None



# ----- calls of named functions and classes ---------------------------------------------------------
def qualified_call(dataflow: "Dataflow", qualified: str, call: cst.Call) -> Value:
    """What calling the torch function or class, or the class of the file, named `qualified` returns."""
    parts = qualified.split(".")
    last = parts[-1]
    if torch_api.is_module_class(qualified):
        layers = [a for a in call.args if not a.star and a.keyword is None]
        last_layer = None
        if last == "Sequential" and layers and not has_star_args(call):
            inner = layers[-1].value
            if isinstance(inner, cst.Call):
                inner_q = dataflow.context.qualified_name(inner.func)
                if inner_q:
                    last_layer = known(qualified_call(dataflow, inner_q, inner))
        origin = "indices" if keyword(call, "return_indices") is not None else None
        return Kind(MODULE, name=qualified, last=last_layer, origin=origin)
    info = dataflow.context.classes_by_name.get(qualified)
    if info is not None:
        if info.is_module:
            return Kind(MODULE, name=info.name)
        if dataflow.is_optimizer_class(info.name):
            return Kind(OPTIMIZER, name=info.name)
        return None
    if _builds_external_model(parts):
        return Kind(MODULE, name=qualified)
    if parts[0] not in ("torch", "builtins") and len(parts) > 1:
        # a class of another file of the project, or a factory there returning one (project.py)
        facts = dataflow.context.project_class(qualified)
        if facts.torch_name is not None:
            if facts.is_module:
                return Kind(MODULE, name=facts.torch_name)
            return Kind(OPTIMIZER, name=facts.torch_name)
        if facts.is_module:
            return Kind(MODULE, name=qualified)
    if parts[0] != "torch":
        return None
    if torch_api.is_parameter_class(qualified):
        return Kind(TENSOR, origin="parameter")
    if "optim" in parts[:-1] and "lr_scheduler" not in parts and last in torch_api.optimizer_classes():
        return Kind(OPTIMIZER, name=qualified)
    if qualified in ACTIVATION_ORIGINS:
        return Kind(TENSOR, origin=ACTIVATION_ORIGINS[qualified])
    if len(parts) == 2:  # torch.X
        if last in FACTORIES:
            if keyword(call, "device") is None and keyword(call, "generator") is None \
                    and not has_star_args(call) and _fresh(last, call):  # a generator fixes the device
                return Kind(TENSOR, origin="factory", site=call)
            return TENSOR_KIND
        if last in TENSOR_FUNCTIONS:
            return TENSOR_KIND
        return None
    if qualified.startswith(FUNCTIONAL + "."):
        if last in F_LOSSES or last.endswith("_loss"):
            return Kind(TENSOR, origin="loss")
        if last in F_NOT_A_TENSOR or last.startswith("_") or keyword(call, "return_indices") is not None:
            return None
        if last in (torch_api.names_in(FUNCTIONAL) or ()):
            return TENSOR_KIND
    return None

def _builds_external_model(parts) -> bool:
    """`torchvision.models.resnet50(...)`, `timm.create_model(...)`, `AutoModel.from_pretrained(...)`."""
    if parts[0] == "torchvision" and "models" in parts[1:-1] and parts[-1][:1].islower() \
            and not parts[-1].startswith(("get_", "list_")):
        return True
    if parts[0] == "timm" and parts[-1] == "create_model":
        return True
    return parts[0] in ("transformers", "diffusers") and parts[-1] == "from_pretrained" and len(parts) > 2 \
        and ("Model" in parts[-2] or "For" in parts[-2]) \
        and not any(word in parts[-2] for word in ("Tokenizer", "Config", "Processor", "Extractor", "Pipeline"))


def _fresh(factory: str, call: cst.Call) -> bool:
    """Does this factory call make a tensor on the default device, whatever its argument?
    (`torch.tensor(t)` of a tensor keeps `t`'s device; of a list literal, it does not.)"""
    if factory in ("tensor", "as_tensor"):
        args = positional(call)
        data = args[0] if args else (keyword(call, "data").value if keyword(call, "data") else None)
        return isinstance(data, (cst.List, cst.Tuple, cst.ListComp))
    return True
