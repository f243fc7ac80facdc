from typing import Dict, List, Optional, Tuple

import libcst as cst

from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

RESHAPES = ("view", "reshape")


class ViewAsTranspose(Rule):
    """
    ## What it does
    Flags `view()` / `reshape()` used to reorder dimensions: the new shape lists the tensor's
    own sizes in another order, spelled as `x.size(i)` / `x.shape[i]`
    (`x.view(x.size(1), x.size(0))`), or as names unpacked from `x.shape` / `x.size()`
    (`b, c, h, w = x.shape` then `x.view(b, h, w, c)` or `x.view(b, h * w, c)`). A `-1`
    stands for the dimensions the other arguments leave out.
    A product of dimensions is one merged size: `view(b, c, w * h)` after `b, c, h, w = x.shape`
    is a flatten, not a reorder.

    ## Why is this bad?
    `view` and `reshape` never move data: they read the same memory, in the same order, with
    a new shape. Asking for `(b, h, w, c)` from a `(b, c, h, w)` tensor does not move the
    channels last; it cuts the channel-major memory into rows of length `c`, so each "pixel"
    gets values from different channels and positions. Nothing raises, because the number
    of elements matches: the model trains on scrambled inputs and learns little, or images
    saved from the tensor look like noise.

    ## Example
    ```python
    b, c, h, w = x.shape
    tokens = x.view(b, h * w, c)
    ```

    ## Use instead
    ```python
    tokens = x.flatten(2).transpose(1, 2)  # or x.permute(0, 2, 3, 1).reshape(b, h * w, c)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.Tensor.view.html
    - https://pytorch.org/docs/stable/generated/torch.permute.html
    """

    code = "NN409"
    name = "view-as-transpose"
    severity = Severity.ERROR
    summary = "`view()` / `reshape()` that reorders a tensor's dimensions (it does not transpose)"
    suggestion = "reorder dimensions with permute() / transpose(), then view/reshape if needed"
    runtime = Runtime(unobservable="a reordered view has the right shape: no run tells it from a transpose")

    VALID = [
        Valid(dedent("""
            import torch

            def tokens(x):
                b, c, h, w = x.shape
                flat = x.view(b, c, h * w).transpose(1, 2)
                return flat, x.permute(0, 2, 3, 1).reshape(b, h * w, c), x.view(b, -1)
        """)),
        Valid(dedent("""
            import torch

            def channel_shuffle(x, groups):
                b, c, h, w = x.size()
                x = x.view(b, groups, c // groups, h, w).transpose(1, 2).contiguous()
                return x.view(b, c, h, w)
        """)),
        Valid(dedent("""
            import torch

            def gram_matrix(y):  # the product's factors in any order: one merged size
                b, ch, h, w = y.size()
                features = y.view(b, ch, w * h)
                return features.bmm(features.transpose(1, 2)) / (ch * h * w)

            def gram(x):
                x = x.permute(0, 2, 3, 1)
                return x.view(x.size(0), x.size(1) * x.size(2), x.size(3))
        """)),
        Valid(dedent("""
            import torch

            def f(x):
                b, c, h, w = x.shape
                x = x.permute(0, 2, 3, 1)
                return x.reshape(b, h, w, c)
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import torch

            def to_channels_last(x):
                b, c, h, w = x.shape
                return x.view(b, h, w, c)
        """), line=5),
        Invalid(dedent("""
            import torch

            def transpose(scores):
                return scores.view(scores.size(1), scores.size(0))
        """), line=4),
        Invalid(dedent("""
            import torch

            def tokens(x):
                b, c, h, w = x.shape
                return x.reshape(b, -1, c)
        """), line=5),
        Invalid(dedent("""
            import torch

            def to_image(im):  # (1, 3, H, W) -> (H, W, 3)
                return im[0].view(im.shape[2], im.shape[3], 3).cpu().numpy()
        """), line=4),
    ]

    def __init__(self, context):
        super().__init__(context)
        # (scope, tensor name) -> the names unpacked from its shape, until either is rebound
        self._unpacked: Dict[Tuple[int, str], List[str]] = {}

    # Bindings are recorded when the walk leaves a statement: its value is read first.
    def leave_Assign(self, node: cst.Assign) -> None:
        scope = id(self.context.current_function)
        for target in node.targets:
            self._rebind(scope, target.target)
        source = _shape_of(node.value)
        if source is None or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if isinstance(target, (cst.Tuple, cst.List)) and all(
                isinstance(e.value, cst.Name) and not isinstance(e, cst.StarredElement) for e in target.elements):
            self._unpacked[(scope, source)] = [e.value.value for e in target.elements]

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self._rebind(id(self.context.current_function), node.target)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._rebind(id(self.context.current_function), node.target)

    def visit_For(self, node: cst.For) -> None:
        self._rebind(id(self.context.current_function), node.target)

    def _rebind(self, scope: int, target: cst.BaseExpression) -> None:
        names = _names_in(target)
        for key, dims in list(self._unpacked.items()):
            if key[0] == scope and (key[1] in names or names & set(dims)):
                del self._unpacked[key]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in RESHAPES):
            return
        args = _shape_args(node)
        if args is None or len(args) < 2:
            return
        receiver = func.value
        order = self._by_size_calls(receiver, args)
        unpacked = None
        if order is None and isinstance(receiver, cst.Name):
            unpacked = self._unpacked.get((id(self.context.current_function), receiver.value))
            if unpacked is not None:
                order = _by_unpacked_names(args, unpacked)
        if order is None or order == sorted(order):
            return
        call = first_line_code(self.context, node, 60)
        if unpacked is not None:
            where = f"the dimensions of `{', '.join(unpacked)} = {receiver.value}.shape`"
        else:
            where = f"the dimensions of `{first_line_code(self.context, receiver, 30)}`"
        advice = ""
        if unpacked is not None and len(order) == len(unpacked) and len(set(order)) == len(order):
            advice = f"; permute first: `.permute({', '.join(map(str, order))})`"
        self.report(node, f"`{call}` reorders {where}: {func.attr.value}() keeps the memory order, "
                          f"it does not transpose, so values from different positions are mixed{advice}")

    def _by_size_calls(self, receiver: cst.BaseExpression, args: List[cst.BaseExpression]) -> Optional[List[int]]:
        """`x.view(x.size(1), x.size(0))`: the dimension of the receiver each argument names.
        `im[0].view(im.shape[2], im.shape[3], 3)` names `im`'s dimensions, one further than the
        receiver's; starting the new shape at a dimension other than the receiver's first (an
        indexed tensor's first dimension, the channels here, is not 1) moves it too."""
        code = self.context.module.code_for_node
        bases = {code(receiver): 0}
        inner, offset = receiver, 0
        while isinstance(inner, cst.Subscript) and len(inner.slice) == 1 \
                and isinstance(inner.slice[0].slice, cst.Index) and isinstance(inner.slice[0].slice.value, cst.Integer):
            inner, offset = inner.value, offset + 1
            bases[code(inner)] = offset
        order = []
        for arg in args:
            index = _size_index(arg)
            if index is not None and code(index[0]) in bases:
                order.append(index[1] - bases[code(index[0])])
        if offset and order and _size_index(args[0]) is not None and order[0] > 0:
            return [order[0], 0]  # the receiver's first dimension ends up after another one
        return order if len(order) >= 2 else None


def _shape_of(expr: cst.BaseExpression) -> Optional[str]:
    """`x` for `x.shape` / `x.size()`."""
    if isinstance(expr, cst.Call) and not expr.args:
        expr = expr.func
        if not (isinstance(expr, cst.Attribute) and expr.attr.value == "size"):
            return None
    elif not (isinstance(expr, cst.Attribute) and expr.attr.value == "shape"):
        return None
    return expr.value.value if isinstance(expr.value, cst.Name) else None


def _shape_args(call: cst.Call) -> Optional[List[cst.BaseExpression]]:
    if any(arg.star or arg.keyword is not None for arg in call.args):
        return None
    values = [arg.value for arg in call.args]
    if len(values) == 1 and isinstance(values[0], (cst.Tuple, cst.List)):
        if any(isinstance(e, cst.StarredElement) for e in values[0].elements):
            return None
        values = [e.value for e in values[0].elements]
    return values


def _size_index(expr: cst.BaseExpression) -> Optional[Tuple[cst.BaseExpression, int]]:
    """(x, i) for `x.size(i)`, `x.shape[i]`, `x.size()[i]` with a literal i >= 0."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "size" \
            and len(expr.args) == 1 and isinstance(expr.args[0].value, cst.Integer):
        return expr.func.value, int(expr.args[0].value.value)
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 \
            and isinstance(expr.slice[0].slice, cst.Index) and isinstance(expr.slice[0].slice.value, cst.Integer):
        index = int(expr.slice[0].slice.value.value)
        base = expr.value
        if isinstance(base, cst.Attribute) and base.attr.value == "shape":
            return base.value, index
        if isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute) and base.func.attr.value == "size" \
                and not base.args:
            return base.func.value, index
    return None


def _by_unpacked_names(args: List[cst.BaseExpression], dims: List[str]) -> Optional[List[int]]:
    """The unpacked dimensions each argument multiplies together, in argument order; a single
    -1 stands for those no argument names (only when every argument is understood)."""
    order: List[Optional[int]] = []
    understood = True
    for arg in args:
        if _is_minus_one(arg):
            order.append(None)
            continue
        factors = _factors(arg, dims)
        if factors is None:
            understood = False
            continue
        order.extend(factors)
    if order.count(None) == 1:
        if not understood:
            return None
        missing = [i for i in range(len(dims)) if i not in order]
        at = order.index(None)
        order[at:at + 1] = missing
    named = [i for i in order if i is not None]
    return named if len(set(named)) >= 2 else None


def _factors(expr: cst.BaseExpression, dims: List[str]) -> Optional[List[int]]:
    if isinstance(expr, cst.Name) and expr.value in dims:
        return [dims.index(expr.value)]
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Multiply):
            left, right = _factors(expr.left, dims), _factors(expr.right, dims)
            if left is None or right is None:
                return None
            return sorted(left + right)  # `w * h` is the size of h and w merged: order is moot
        if isinstance(expr.operator, cst.FloorDivide):  # c // groups: a part of c
            return _factors(expr.left, dims)
    return None


def _is_minus_one(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) \
        and isinstance(expr.expression, cst.Integer) and expr.expression.value == "1"


def _names_in(target: cst.BaseExpression) -> set:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(_names_in(e.value) for e in target.elements)) if target.elements else set()
    if isinstance(target, cst.StarredElement):
        return _names_in(target.value)
    return set()
