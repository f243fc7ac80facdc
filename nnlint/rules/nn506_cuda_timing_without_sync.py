from typing import Iterator, List, Optional, Set

import libcst as cst

from nnlint.tree import children, dotted_name, iter_nodes
from nnlint.finding import Severity
from nnlint.rules._grad import first_line_code
from nnlint.rules.base import Invalid, Rule, Runtime, Valid, dedent

TIMERS = frozenset({"time.time", "time.perf_counter", "time.monotonic", "time.time_ns",
                    "time.perf_counter_ns", "time.monotonic_ns", "timeit.default_timer"})
# Calls that wait for the GPU: an explicit synchronize, or a copy of a result to the host.
SYNC_METHODS = frozenset({"synchronize", "item", "cpu", "tolist", "numpy", "elapsed_time"})
# Copies to the host: what they return is no CUDA value.
HOST_COPIES = frozenset({"item", "cpu", "tolist", "numpy"})
DEVICE_NAMES = frozenset({"device", "dev", "cuda_device", "gpu"})
# Host-side calls: given a CUDA value they format or convert it (waiting for it), launch nothing.
HOST_CALLS = frozenset({"builtins.print", "builtins.str", "builtins.repr", "builtins.format", "builtins.len",
                        "builtins.int", "builtins.float", "builtins.bool", "builtins.isinstance"})
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


class CudaTimingWithoutSync(Rule):
    """
    ## What it does
    Flags a clock read (`time.time()`, `time.perf_counter()`, `timeit.default_timer()`...) that
    ends a timed stretch of CUDA work with no synchronization after the work: no
    `torch.cuda.synchronize()`, no `.item()` / `.cpu()` / `.tolist()` / `.numpy()` that would
    wait for a result, no GradScaler `scaler.step(optimizer)` (it reads its found-inf flags
    with `.item()`), no call of a function of the file that does one of these. CUDA work is a
    call on a tensor or model that the code put on a CUDA device (`.cuda()`, `.to(device)`,
    `device=...` in a file that uses CUDA), or on a function's parameter whose name the file
    moves to CUDA elsewhere (`model.cuda()` in a loader, then `def benchmark(model, ...)`);
    what `.cpu()` / `.numpy()` return lives on the host and is no CUDA value.
    Per-iteration timers are not flagged: a read in a loop that waits for the GPU somewhere in
    its body (`.item()` in a log line, a batch copied in by `.to(device)` without
    `non_blocking=True`: PyTorch waits for the stream after a blocking copy) and comes before
    any `start = time.time()` of that iteration (`batch_time.update(time.time() - end); end =
    time.time()`, an ETA) times whole iterations, each of which waited for the last. A read
    stored in a name that is only ever subtracted (`tic` of `toc - tic`) starts a stretch and
    ends none. A loop that waits for the GPU in its body (every n steps) counts as a wait at
    its end (an epoch's time misses at most its last iteration's tail), and an LR scheduler's
    `step()` launches no GPU work.

    ## Why is this bad?
    CUDA calls are asynchronous: they queue kernels and return at once. A host clock read
    right after them measures how long it took to *launch* the work, not to do it: the
    numbers are implausibly small, do not scale with the input, and comparisons between two
    implementations come out in whatever order the launch overheads fall. The cost shows up
    later, at whatever call happens to wait (often the next `.item()`), and gets blamed on
    the wrong code.

    ## Example
    ```python
    start = time.perf_counter()
    out = model(x_gpu)
    elapsed = time.perf_counter() - start
    ```

    ## Use instead
    ```python
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = model(x_gpu)
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    # or torch.cuda.Event(enable_timing=True) / torch.utils.benchmark.Timer
    ```

    ## References
    - https://pytorch.org/docs/stable/notes/cuda.html#asynchronous-execution
    - https://pytorch.org/tutorials/recipes/recipes/benchmark.html
    """

    code = "NN506"
    triggers = ("cuda",)
    name = "cuda-timing-without-sync"
    severity = Severity.WARNING
    summary = "a host clock read after CUDA work without `torch.cuda.synchronize()`: times the launch"
    suggestion = "call torch.cuda.synchronize() before reading the clock, or use torch.cuda.Event"
    runtime = Runtime(unobservable="a measurement of time, outside the model")

    VALID = [
        Valid(dedent("""
            import time
            import torch

            def bench(model, shape):
                x = torch.randn(*shape, device="cuda")
                torch.cuda.synchronize()
                start = time.perf_counter()
                model(x)
                torch.cuda.synchronize()
                return time.perf_counter() - start
        """)),
        Valid(dedent("""
            import time
            import torch

            def train(model, loader, device="cuda"):
                end = time.time()
                for x, y in loader:
                    data_time = time.time() - end  # data loading: CPU work only
                    x = x.to(device)
                    loss = model(x, y)
                    print(loss.item())
                    end = time.time()
        """)),
        Valid(dedent("""
            import time
            import torch

            def train(model, loader, optimizer, device="cuda"):
                end = time.time()
                for x, y in loader:
                    loss = model(x.to(device), y.to(device))
                    losses.append(loss.item())  # waits for this iteration's forward
                    loss.backward()
                    optimizer.step()
                    batch_time.update(time.time() - end)  # whole iterations: each waited for the last
                    end = time.time()
        """)),
        Valid(dedent("""
            import time
            import torch

            def cpu_latency(model):
                x = torch.randn(8, 3, 224, 224)
                start = time.perf_counter()
                model.cpu()(x)
                return time.perf_counter() - start  # cuda is mentioned, but nothing here is on it
        """)),
        Valid(dedent("""
            import time
            import torch

            def score(model, batches, results):
                for x in batches:
                    start = time.time()
                    logits = model(x.cuda())
                    probs = logits.softmax(-1).cpu().numpy()  # waits for the GPU; probs live on the host
                    for j in range(len(probs)):
                        results.append(probs[j])
                    print(time.time() - start)
        """)),
        Valid(dedent("""
            import time
            import torch

            def train(model, loader, optimizer, scaler, device="cuda"):
                end = time.time()
                for x, y in loader:
                    loss = model(x.to(device), y.to(device))
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)  # GradScaler reads its found-inf flags with .item()
                    scaler.update()
                    batch_time.update(time.time() - end)
                    end = time.time()
        """)),
        Valid(dedent("""
            import time
            import torch

            def load(path):
                model = torch.jit.load(path)
                model.cuda()
                return model

            def throughput(model, batch):
                torch.cuda.synchronize()
                t0 = time.time()
                model(batch)
                torch.cuda.synchronize()
                return len(batch) / (time.time() - t0)
        """)),
        Valid(dedent("""
            import time
            import torch

            def train(model, loader, optimizer, device="cuda"):
                iter_time = time.time()
                for batch in loader:
                    x, y = [t.to(device) for t in batch]  # a blocking copy waits for the last iteration
                    logits, loss = model(x, y)
                    loss.backward()
                    optimizer.step()
                    now = time.time()
                    iter_dt = now - iter_time
                    iter_time = now
        """)),
        Valid(dedent("""
            import time
            import torch

            def to_numpy(x):
                return x.detach().cpu().numpy()

            def sample_all(model, batches, saved=0):
                start = time.time()
                images = []
                for z in batches:
                    out = model(z.cuda())
                    saved = save_images(out, saved)
                    images.append(to_numpy(out))  # the helper waits for the GPU
                    print(f"{saved} images saved")  # printing launches no GPU work
                print(time.time() - start)
        """)),
        Valid(dedent("""
            import time

            def connect(client, device="cuda"):
                client.register(device=device)  # not a move of `client` itself

            def stress(client, n):
                t0 = time.time()
                for _ in range(n):
                    client.send(b"ping")
                return time.time() - t0
        """)),
        Valid(dedent("""
            import time
            import torch

            def fit(model, loader, epochs, device="cuda"):
                model.to(device)
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)  # no CUDA value
                for epoch in range(epochs):
                    start = time.time()
                    for step, (x, y) in enumerate(loader):
                        loss = model(x.to(device, non_blocking=True), y.to(device, non_blocking=True))
                        if step % 100 == 0:
                            print(loss.item())  # waits for the GPU every 100 steps: the epoch time is right
                        loss.backward()
                        optimizer.step()
                    scheduler.step()
                    print(f"epoch {epoch}: {time.time() - start:.0f} s")
        """)),
    ]
    INVALID = [
        Invalid(dedent("""
            import time
            import torch

            def fit(model, loader, epochs, device="cuda"):
                model.to(device)
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)  # no CUDA value
                for epoch in range(epochs):
                    start = time.time()
                    for step, (x, y) in enumerate(loader):
                        loss = model(x.to(device, non_blocking=True), y.to(device, non_blocking=True))
                        if step % 100 == 0:
                            print(step)
                        loss.backward()
                        optimizer.step()
                    scheduler.step()
                    print(f"epoch {epoch}: {time.time() - start:.0f} s")
        """), line=17),
        Invalid(dedent("""
            import time
            import torch

            def rescale(x):
                return (x + 1) / 2

            def sample_all(model, batches):
                start = time.time()
                images = []
                for z in batches:
                    out = model(z.cuda())
                    images.append(rescale(out))  # more GPU work: nothing waits
                print(time.time() - start)
        """), line=13),
        Invalid(dedent("""
            import time
            import torch

            def load(path):
                model = torch.jit.load(path)
                model.cuda()  # the file moves `model` to the GPU: so do the callers of throughput()
                return model

            def throughput(model, batch):
                t0 = time.time()
                model(batch)
                return len(batch) / (time.time() - t0)
        """), line=12),
        Invalid(dedent("""
            import time
            import torch

            def score(model, batches, results):
                for x in batches:
                    start = time.time()
                    logits = model(x.cuda())
                    probs = logits.softmax(-1).cpu().numpy()
                    for j in range(len(probs)):
                        results.append(logits[j] * 2)  # CUDA work after the copy
                    print(time.time() - start)
        """), line=11),
        Invalid(dedent("""
            import time
            import torch

            def train(model, loader, optimizer, device="cuda"):
                end = time.time()
                for x, y in loader:
                    loss = model(x.to(device, non_blocking=True), y.to(device, non_blocking=True))
                    loss.backward()
                    optimizer.step()  # no scaler, no .item(), no blocking copy: nothing waits for the GPU
                    batch_time.update(time.time() - end)
                    end = time.time()
        """), line=10),
        Invalid(dedent("""
            import time
            import torch


            def bench(model, x):
                model = model.cuda()
                x = x.cuda()
                tic = time.time()
                y = model(x)
                toc = time.time()
                print(y.shape, toc - tic)
                x = torch.randn(4, 8).cuda()
                tic = time.time()  # starts the next timing: it ends none
                y = model(x)
                toc = time.time()
                print(y.shape, toc - tic)
        """), line=(10, 15)),
        Invalid(dedent("""
            import time
            import torch

            def bench(model, shape):
                x = torch.randn(*shape, device="cuda")
                start = time.perf_counter()
                model(x)
                return time.perf_counter() - start
        """), line=8),
        Invalid(dedent("""
            import time
            import torch

            device = torch.device("cuda")
            a = torch.randn(1024, 1024, device=device)
            t0 = time.time()
            for _ in range(10):
                a @ a
            t1 = time.time()
            print(t1 - t0)
        """), line=9),
        Invalid(dedent("""
            import time
            import torch

            def bench(model, batches):
                for x in batches:
                    x = x.cuda()
                    start = time.perf_counter()
                    out = model(x)
                    print(time.perf_counter() - start, out.sum().item())  # timed before the wait
        """), line=9),
    ]

    def __init__(self, context):
        super().__init__(context)
        self._active = "cuda" in context.source and ("time" in context.source)
        # names the file moves to the GPU somewhere (`model.cuda()`, `x = x.to(device)`): a
        # function's parameter of that name is taken to hold what its callers moved
        self._moved: Set[str] = set()
        # the file's own functions that wait for the GPU (`def to_numpy(x): return x.cpu()...`)
        self._waiting_helpers: Set[str] = set()
        if self._active:
            self._moved = {call.func.value.value for call in iter_nodes(context.module, cst.Call)
                           if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
                           and call.func.attr.value in ("cuda", "to") and self._moves(call)}
            self._waiting_helpers = {
                statement.name.value for statement in context.module.body
                if isinstance(statement, cst.FunctionDef)
                and any(self._syncs(call) for call in iter_nodes(statement, cst.Call))}

    def visit_Module(self, node: cst.Module) -> None:
        if self._active:
            self._scope(node.body, set())

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._active or not isinstance(node.body, cst.IndentedBlock):
            return
        cuda: Set[str] = set()
        for param in (*node.params.params, *node.params.kwonly_params, *node.params.posonly_params):
            default = param.default
            if default is not None and isinstance(default, cst.SimpleString) and "cuda" in default.value \
                    or param.name.value in self._moved:
                cuda.add(param.name.value)
        self._scope(node.body.body, cuda)

    def _scope(self, body, cuda: Set[str]) -> None:
        started, pending = False, False
        per_iteration = self._iteration_reads(body)
        loop_ends = self._waiting_loop_ends(body)
        starts = _start_names(body)
        for unit in _units(body):
            reads = [c for c in _calls(unit) if self._is_timer(c)]
            if reads:
                if started and pending and not any(read in per_iteration for read in reads) \
                        and _assigned_name(unit) not in starts:
                    self.report(reads[0], f"`{first_line_code(self.context, reads[0])}` ends a timing of CUDA "
                                          "work with no synchronization: CUDA calls return before the GPU has "
                                          "finished, so this measures the launch, not the work")
                started, pending = True, False
            if started and self._works(unit, cuda):
                pending = True
            if any(self._syncs(c) for c in _calls(unit)) or unit in loop_ends:
                pending = False
            self._track(unit, cuda)

    def _waiting_loop_ends(self, body) -> Set[cst.CSTNode]:
        """The last statement of each loop that waits for the GPU in its body (`.item()` in a
        log line every n steps): a stretch that holds such a loop (an epoch's time) waited for
        all but the last iteration's tail of its work, so the loop counts as a wait at its end."""
        ends: Set[cst.CSTNode] = set()
        for loop in _walk_statements(body):
            if isinstance(loop, (cst.For, cst.While)) and isinstance(loop.body, cst.IndentedBlock):
                units = list(_units(loop.body.body))
                if units and any(self._syncs(call) for unit in units for call in _calls(unit)):
                    ends.add(units[-1])
        return ends

    def _is_timer(self, call: cst.Call) -> bool:
        return self.context.qualified_name(call.func) in TIMERS

    def _iteration_reads(self, body) -> Set[cst.Call]:
        """Clock reads that time whole iterations of a loop that waits for the GPU somewhere in
        its body (`.item()` in a log line, a synchronize): the read comes before any
        `start = time.time()` of the same iteration, so its stretch began in the previous one
        (`batch_time.update(time.time() - end); end = time.time()`, an ETA, the time since
        training began). Each iteration waits for the last one's work, so the time between
        iterations is the work's time; a stretch started and ended inside one iteration is not."""
        found: Set[cst.Call] = set()
        loops = [node for node in _walk_statements(body) if isinstance(node, (cst.For, cst.While))]
        for loop in loops:
            units = list(_units(loop.body.body)) if isinstance(loop.body, cst.IndentedBlock) else []
            if not any(self._syncs(call) or self._copies_in(call) for unit in units for call in _calls(unit)):
                continue
            for unit in units:
                found.update(call for call in _calls(unit) if self._is_timer(call))
                value = getattr(unit, "value", None)
                if isinstance(unit, (cst.Assign, cst.AnnAssign)) and isinstance(value, cst.Call) \
                        and self._is_timer(value):
                    break  # `start = time.time()`: what follows is timed within the iteration
        return found

    def _works(self, unit, cuda: Set[str]) -> bool:
        """Does the statement call something on a CUDA value (or a CUDA model)?"""
        for call in _calls(unit):
            if self.context.qualified_name(call.func) in TIMERS or self.context.qualified_name(call.func) in HOST_CALLS:
                continue
            roots = {_root(call.func)} | {_root(a.value) for a in call.args}
            if roots & cuda:
                return True
            for arg in call.args:
                for node in _walk(arg.value):
                    if isinstance(node, cst.Name) and node.value in cuda:
                        return True
        if isinstance(unit, cst.BinaryOperation) or isinstance(unit, cst.Expr) and isinstance(unit.value, cst.BinaryOperation):
            return any(isinstance(n, cst.Name) and n.value in cuda for n in _walk(unit))
        return False

    def _copies_in(self, call: cst.Call) -> bool:
        """`batch.to(device)` / `x.cuda()` in a loop's body: a batch copied from host memory
        without `non_blocking=True` waits for the stream's queued work (PyTorch synchronizes
        after a blocking copy), so each iteration waits for the last one's work."""
        blocking = not any(arg.keyword is not None and arg.keyword.value == "non_blocking"
                           and not (isinstance(arg.value, cst.Name) and arg.value.value == "False")
                           for arg in call.args)
        return blocking and isinstance(call.func, cst.Attribute) and call.func.attr.value in ("to", "cuda") \
            and self._moves(call)

    def _syncs(self, call: cst.Call) -> bool:
        qualified = self.context.qualified_name(call.func) or ""
        if qualified.startswith("torch.cuda.") and qualified.endswith("synchronize"):
            return True
        if isinstance(call.func, cst.Name):
            return call.func.value in self._waiting_helpers
        if not isinstance(call.func, cst.Attribute):
            return False
        if call.func.attr.value == "step":
            # GradScaler.step() reads its found-inf flags with `.item()` before stepping
            owner = dotted_name(call.func.value) or ""
            return owner.rsplit(".", 1)[-1].lower().endswith("scaler")
        return call.func.attr.value in SYNC_METHODS

    def _track(self, unit, cuda: Set[str]) -> None:
        """Names that now hold CUDA values: assigned from CUDA work, `.cuda()`, `.to(device)`, a
        factory with a CUDA `device=`; a model moved in place with `model.cuda()`."""
        if isinstance(unit, cst.Expr) and isinstance(unit.value, cst.Call) and self._moves(unit.value):
            root = _root(unit.value.func)
            if root:
                cuda.add(root)
            return
        if not isinstance(unit, (cst.Assign, cst.AnnAssign, cst.AugAssign)) or unit.value is None:
            return
        targets = [t.target for t in unit.targets] if isinstance(unit, cst.Assign) else [unit.target]
        value_is_cuda = self._is_cuda_value(unit.value, cuda) and not (
            isinstance(unit.value, cst.Call)
            and (self.context.qualified_name(unit.value.func) or "").startswith("torch.optim.lr_scheduler."))
        for target in targets:
            for name in _target_names(target):
                if value_is_cuda:
                    cuda.add(name)
                else:
                    cuda.discard(name)

    def _is_cuda_value(self, expr, cuda: Set[str]) -> bool:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in HOST_COPIES:
            return False  # `x.cpu().numpy()`: a copy on the host
        for node in _walk(expr):
            if isinstance(node, cst.Name) and node.value in cuda:
                return True
            if isinstance(node, cst.SimpleString) and "cuda" in node.value:
                return True
            if isinstance(node, cst.Call) and self._moves(node):
                return True
        return False

    def _moves(self, call: cst.Call) -> bool:
        """`.cuda()`, or `.to(x)` / `device=x` with `x` naming a device in a file that uses CUDA."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "cuda":
            return True
        for arg in call.args:
            is_device = arg.keyword is not None and arg.keyword.value == "device" or \
                arg.keyword is None and isinstance(func, cst.Attribute) and func.attr.value == "to"
            if is_device and _names_device(arg.value):
                return True
        return False


def _names_device(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.SimpleString):
        return "cuda" in expr.value
    name = dotted_name(expr)
    if name is not None:
        last = name.rsplit(".", 1)[-1]
        return last in DEVICE_NAMES or last.endswith("_device") or last == "device"
    return isinstance(expr, cst.Call) and any(_names_device(a.value) for a in expr.args)


def _units(body) -> Iterator[cst.CSTNode]:
    """Small statements and the headers of compound ones (a loop's iterable, an if's test), in
    source order; nested functions and classes are other scopes."""
    for statement in body:
        if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            yield from statement.body
        elif isinstance(statement, _SCOPES):
            continue
        else:
            for field in ("iter", "test"):
                header = getattr(statement, field, None)
                if header is not None:
                    yield header
            if isinstance(statement, cst.With):
                yield from (item.item for item in statement.items)
            for block in _blocks(statement):
                yield from _units(block)


def _blocks(statement) -> List:
    found = []
    for name in ("body", "orelse", "finalbody"):
        part = getattr(statement, name, None)
        if part is None:
            continue
        if isinstance(part, cst.If):
            found.append([part])
            continue
        suite = part.body if isinstance(part, (cst.Else, cst.Finally)) else part
        if isinstance(suite, cst.IndentedBlock):
            found.append(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            found.append([suite])
    for handler in getattr(statement, "handlers", ()):
        if isinstance(handler.body, cst.IndentedBlock):
            found.append(handler.body.body)
    return found


def _walk_statements(body) -> Iterator[cst.CSTNode]:
    """The compound statements of a body and of their blocks (not nested scopes)."""
    for statement in body:
        if isinstance(statement, _SCOPES) or isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            continue
        yield statement
        for block in _blocks(statement):
            yield from _walk_statements(block)


def _walk(root) -> Iterator[cst.CSTNode]:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        yield node
        stack.extend(children(node))


def _calls(root) -> List[cst.Call]:
    return [node for node in _walk(root) if isinstance(node, cst.Call)]


def _root(expr) -> Optional[str]:
    while isinstance(expr, (cst.Attribute, cst.Subscript, cst.Call)):
        expr = expr.func if isinstance(expr, cst.Call) else expr.value
    return expr.value if isinstance(expr, cst.Name) else None


def _target_names(target) -> Set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        found: Set[str] = set()
        for element in target.elements:
            found |= _target_names(element.value)
        return found
    return set()


def _assigned_name(unit) -> Optional[str]:
    """`tic` of `tic = time.time()`."""
    if isinstance(unit, cst.Assign) and len(unit.targets) == 1 and isinstance(unit.targets[0].target, cst.Name):
        return unit.targets[0].target.value
    return None


def _start_names(body) -> Set[str]:
    """Names only ever subtracted (`toc - tic`: tic): a clock read stored in one starts a
    stretch, it ends none."""
    left: Set[str] = set()
    right: Set[str] = set()
    for statement in body:
        for node in _walk(statement):
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract):
                if isinstance(node.left, cst.Name):
                    left.add(node.left.value)
                if isinstance(node.right, cst.Name):
                    right.add(node.right.value)
    return right - left
