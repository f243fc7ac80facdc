"""The worker: the child process that imports the user's code, builds and runs its models, and
sends back plain data (one JSON object per line over a pipe). Exceptions and `sys.exit` of the
user's code are caught here; anything worse (a segfault, `os._exit`, a hang) is the
supervisor's to handle (`verify/supervisor.py`).

It starts either forked from the parent, which imported torch once (`forked_main`), or as a
fresh `python -m nnlint.verify.worker` reading its request from stdin (`main`).

Events (worker -> supervisor), one JSON object per line:
    {"event": "models", "ids": [...]}                        the models it will run, in order
    {"event": "start", "id": ..., "name": ...}               a model begins (its timeout starts)
    {"event": "phase", "phase": "build" | "forward" | ...}   where the model is
    {"event": "notes", "notes": [...]}                       how it was built (for a timeout)
    {"event": "result", "id": ..., "run": {ModelRun}}        a model is done
    {"event": "import_error", "message": ..., "frames": [...]}
    {"event": "end"}
"""

from __future__ import annotations

import faulthandler
import gc
import importlib
import inspect
import json
import os
import re
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from nnlint.verify.result import FAILED, NOT_RUNNABLE, SKIPPED, CheckReport, ClassSource, ModelRun

_STOPPING_KINDS = ("init_order_error", "container_error", "build_error", "missing_forward",
                   "inplace_leaf", "device_mismatch", "forward_error")


class _Emitter:
    def __init__(self, stream):
        self.stream = stream

    def __call__(self, event: str, **data) -> None:
        self.stream.write(json.dumps({"event": event, **data}, default=str) + "\n")
        self.stream.flush()


def serve(request: dict, stream) -> None:
    """Run one request (a file's models, or a factories file's functions), emitting events.
    Each model runs in a child of its own where it can (`verify/isolate.py`)."""
    emit = _Emitter(stream)
    for entry in reversed(request.get("sys_path", [])):  # first, in their order: the root before a folder in it
        if entry:
            if entry in sys.path:
                sys.path.remove(entry)
            sys.path.insert(0, entry)
    sys.argv = [request["path"]]
    import torch  # already imported when forked

    from nnlint.verify import checks, isolate

    isolate.ignore_parent_signals()
    isolate.set_memory_limit(int(request.get("memory_limit") or 0))
    checks.MEMORY_LIMIT = int(request.get("memory_limit") or 0)
    # `threads`: forked from a process that may have used OpenMP, whose children hang in it
    threads = int(request.get("threads") or 0) or torch.get_num_threads()
    fork = request.get("fork_per_model", True) and isolate.can_fork()
    if fork or request.get("threads"):
        torch.set_num_threads(1)  # the pool must not start before the forks (see isolate)

    from nnlint.verify import loader

    emit("phase", phase="import")
    notes: List[str] = []
    try:
        if request["kind"] == "factories":
            module = importlib.import_module(request["module"])
        else:
            module, notes = loader.load(request["module"], request["path"], request.get("sys_path", []))
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit...
        message = checks.describe_error(exc)
        if isinstance(exc, loader.MissingPackage):
            message = f"it uses {exc.what}"
        lacks = loader.missing_package(exc)
        emit("import_error", message=message, frames=checks.user_frames(exc),
             missing=loader.needs([lacks]) if lacks else "")
        emit("end")
        return
    if request["kind"] == "factories":
        jobs = _factory_jobs(module, request)
    else:
        jobs = _class_jobs(module, request)
    skip = set(request.get("skip", ()))
    jobs = [job for job in jobs if job.id not in skip]
    fork = fork and isolate.can_fork()  # the import may have initialised CUDA
    if fork:
        isolate.become_subreaper()
    elif torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    emit("models", ids=[job.id for job in jobs])
    for job in jobs:
        emit("start", id=job.id, name=job.name)
        if fork:
            finished, how = isolate.run_in_child(
                lambda: emit("result", id=job.id, run=_run_job(job, request, emit, notes)[0].to_dict()), threads)
            if not finished:
                emit("crashed", id=job.id, status=how)
            continue
        run, state = _run_job(job, request, emit, notes)
        state.restore()
        isolate.end_leftovers(None)
        emit("result", id=job.id, run=run.to_dict())
        if _cuda_broken(run):
            return  # a CUDA error poisons the process's context: the parent starts a fresh worker
    emit("end")


def _run_job(job: "_Job", request: dict, emit, notes: List[str]) -> Tuple[ModelRun, Any]:
    """Build and check one model; a note if it changed torch's global state (and that state,
    as it was before, for a caller that keeps the process); the file's notes (how it was
    imported) last. A model that used a package that is not installed is skipped."""
    from nnlint.verify import isolate, loader

    state = isolate.GlobalState.capture()
    loader.reset()
    run = job.run(request, emit)
    _blame_missing(run, loader.touched)
    _blame_star_import(run, loader.star_imports)
    _blame_left_out(run, loader.left_out)
    changes = state.changes()
    if changes:
        run.report.notes.append(isolate.state_note(changes))
    run.report.notes.extend(notes)
    return run, state


def _blame_missing(run: ModelRun, packages: List[str]) -> None:
    """A model that used a package that is not installed is skipped, whatever happened after."""
    if not packages:
        return
    from nnlint.verify import loader

    _skip(run, f"needs {loader.needs(packages)}")


def _skip(run: ModelRun, reason: str) -> None:
    """The run becomes `skipped` for `reason`: what it observed came of what was not there."""
    run.status, run.reason, run.hint = SKIPPED, reason, ""
    run.report.observations = []


_NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")


def _blame_star_import(run: ModelRun, star_imports: List[Tuple[str, str]]) -> None:
    """A model that failed on a name its file never defines, where the file star-imports a
    package that is not installed (`from taming.modules.losses.vqperceptual import *`, then
    `LPIPS()`): the name most likely came from there; skipped as needing it, not failed."""
    name = _undefined_name(run) if star_imports else None
    if name is None:
        return
    from nnlint.verify import loader

    module, package = star_imports[0]
    _skip(run, f"needs {loader.needs([package])}: `{name}` is not defined, and would come from `from {module} import *`")


def _blame_left_out(run: ModelRun, left_out: Dict[str, int]) -> None:
    """A model that failed on a top-level value of its script that the slice could not compute
    (`device` set in a branch with a loop): skipped, as what it needs is the script's running."""
    name = _undefined_name(run) if left_out else None
    if name in left_out:
        _skip(run, f"needs `{name}`, which its script computes at line {left_out[name]} from statements nnlint "
                   f"does not run (only the script's definitions were)")


def _undefined_name(run: ModelRun) -> Optional[str]:
    """The name a failed run's NameError says is not defined, if that is why it failed."""
    match = _NAME_ERROR.search(run.reason) if run.status == FAILED else None
    return match.group(1) if match else None


def _cuda_broken(run: ModelRun) -> bool:
    return bool(run.device and run.device.startswith("cuda")) and any(
        "CUDA error" in o.message or "device-side assert" in o.message for o in run.report.observations)


@dataclass
class _Job:
    id: str
    name: str
    run: Callable[[dict, Callable], ModelRun]


def _class_jobs(module, request: dict) -> List[_Job]:
    """The Module classes of the file: the engine's list, then any other Module subclass the
    module defines at top level (a base the static pass could not resolve)."""
    import torch

    from nnlint.verify.build import source_lines

    jobs: List[_Job] = []
    listed = set()
    specs = request.get("specs", {})
    label = request.get("label") or module.__name__
    for name, first, last in request.get("classes", []):
        full = f"{label}:{name}"
        job_id = full if name not in listed else f"{full}@{first}"  # a name defined twice
        listed.add(name)
        cls = module.__dict__.get(name)
        ok = (isinstance(cls, type) and issubclass(cls, torch.nn.Module)
              and getattr(cls, "__module__", None) == module.__name__)
        if ok and len([c for c in request.get("classes", []) if c[0] == name]) > 1:
            ok = _defined_in(cls, first, last)  # the last definition of a repeated name wins
        if not ok:
            missing = getattr(cls, "_nnlint_missing", None) if isinstance(cls, type) else None
            if missing is None and cls is not None and type(cls).__name__ == "_Missing":
                missing = cls._nnlint_package
            reason = (f"needs `{missing}` (not installed): its base class or decorator comes from it"
                      if missing else None)
            jobs.append(_Job(job_id, full, _unbound(full, request, first, last, reason)))
            continue
        jobs.append(_Job(job_id, full, _class_runner(cls, full, specs.get(full), request, first, last)))
    for name, cls in list(vars(module).items()):
        if (name in listed or not isinstance(cls, type) or not issubclass(cls, torch.nn.Module)
                or cls.__module__ != module.__name__ or cls.__qualname__ != name):
            continue
        full = f"{label}:{name}"
        _, first, last = source_lines(cls)
        jobs.append(_Job(full, full, _class_runner(cls, full, specs.get(full), request, first, last)))
    return jobs


def _defined_in(cls, first: int, last: int) -> bool:
    """Whether the class object comes from the `class` statement on those lines (its methods'
    code says where; inspect would find the first statement of that name)."""
    lines = [f.__code__.co_firstlineno for f in vars(cls).values() if inspect.isfunction(f)]
    return not lines or any(first <= line <= last for line in lines)


def _unbound(name: str, request: dict, first: int, last: int, reason: Optional[str] = None):
    def run(request_: dict, emit) -> ModelRun:
        model_run = ModelRun(name=name, path=request["display_path"], line=first, status=SKIPPED,
                             reason=reason or "not a module-level name at import time (defined in a function, "
                                              "under a condition, or rebound)")
        model_run.classes[""] = ClassSource(name, os.path.abspath(request["path"]), first, last)
        return model_run
    return run


def _class_runner(cls, name: str, spec_data: Optional[dict], request: dict, first: int, last: int):
    from nnlint.verify.build import Builder, ModelSpec

    spec = ModelSpec.from_dict(spec_data) if spec_data else None

    def attempt(emit, avoid: List[str]) -> Tuple[ModelRun, Any]:
        builder = Builder(cls, name, spec, on_phase=lambda phase: emit("phase", phase=phase),
                          usage=request.get("usage", {}).get(name, ()), avoid=avoid)
        path = os.path.abspath(request["path"])
        model_run = ModelRun(name=name, path=request["display_path"], line=first)
        model_run.classes[""] = ClassSource(f"{cls.__module__}:{cls.__qualname__}", path, first, last)

        def build():
            model = builder.build()
            emit("notes", notes=list(builder.notes))  # how it was built, said even if a check then hangs
            return model

        model_run = check_model(model_run, build, builder.feed, request, emit)
        model_run.report.notes[:0] = builder.notes
        if builder.guessed:
            _unused_under_guesses(model_run.report)
        _trained_elsewhere(model_run.report, cls)
        _reached_at_other_stages(model_run.report, cls, builder.inputs)
        return model_run, builder

    def run(request_: dict, emit) -> ModelRun:
        subclasses = sorted(c.__name__ for c in cls.__subclasses__() if c.__module__ == cls.__module__)
        by = f" (subclassed by {', '.join(subclasses)})" if subclasses else ""
        why = ("a base class without forward" if subclasses and _forward_missing(cls) else
               _abstract_forward(cls))
        if why:
            model_run = ModelRun(name=name, path=request["display_path"], line=first)
            model_run.classes[""] = ClassSource(f"{cls.__module__}:{cls.__qualname__}", os.path.abspath(request["path"]),
                                                first, last)
            model_run.status, model_run.reason = NOT_RUNNABLE, f"{why}{by}"
            return model_run
        model_run, builder = attempt(emit, [])
        model_run = _other_ways_on_nonfinite(model_run, builder, lambda avoid: attempt(emit, avoid))
        if subclasses and model_run.status == FAILED and "NotImplementedError" in model_run.reason:
            model_run.status = NOT_RUNNABLE
            model_run.reason = f"a base class ({model_run.reason}; subclassed by {', '.join(subclasses)})"
            model_run.report.observations = []
        return model_run
    return run


NONFINITE_RETRIES = 2  # other ways (the next usage site, the next guess) tried when ours gave NaN


def _other_ways_on_nonfinite(model_run: ModelRun, builder, attempt) -> ModelRun:
    """NaN or Inf in the output or the gradients of a model built or fed the way nnlint chose (a
    usage site's values replayed: a test's first `parametrize` case, an all-False mask; guessed
    constructor arguments) is not blamed on the model until another way gives it too: the next
    site or guess is checked instead (up to NONFINITE_RETRIES); when every way gives NaN, or no
    other way builds, the finding becomes a note. A configured input keeps NN904."""
    if not (_nonfinite(model_run) and builder.ours):
        return model_run
    first, ways, first_way = model_run, [builder.way], (builder.notes or [builder.way])[0]
    while len(ways) <= NONFINITE_RETRIES:
        again, retry = attempt(list(ways))
        if again.status != "checked":
            break  # nothing else builds and runs: the first run, with a note
        again.seconds += model_run.seconds
        again.cpu_seconds += model_run.cpu_seconds
        model_run = again
        if not _nonfinite(again):
            again.report.notes.append(f"NaN or Inf with the first way nnlint chose ({first_way}): "
                                      f"our values, not the model's; checked the next way instead")
            return again
        if not retry.ours:
            return again  # its own defaults give NaN too: the model's (NN904)
        ways.append(retry.way)
    first.seconds, first.cpu_seconds = model_run.seconds, model_run.cpu_seconds
    first.report.observations = [o for o in first.report.observations if o.kind != "nonfinite"]
    first.report.notes.append(f"NaN or Inf in the output or the gradients with values nnlint chose "
                              f"({'; '.join(ways)}), and with every other way it tried: not reported as NN904 "
                              f"(configure the inputs to check it)")
    return first


def _nonfinite(model_run: ModelRun) -> bool:
    return any(o.kind == "nonfinite" for o in model_run.report.observations)


GUESSED = "guessed-arguments"  # tags a no_grad observation that may come from our guesses


def _unused_under_guesses(report) -> None:
    """Parameters without a gradient in a model built with guessed arguments: often the guess
    (depth 1 never reaches a later stage; a flag left off), so a note rather than NN903. The
    observation stays, tagged, to confirm a static finding that predicted it (NN201)."""
    unused = [o for o in report.observations if o.kind == "no_grad"]
    for obs in unused:
        obs.names.append(GUESSED)
    if unused:
        report.notes.append(f"{len(unused)} parameter{'s' if len(unused) != 1 else ''} got no gradient "
                            f"(e.g. `{unused[0].path}`) with the guessed constructor arguments: not reported "
                            f"as NN903; configure the model to check them")


def _trained_elsewhere(report, cls) -> None:
    """Parameters without a gradient from forward whose attribute another method of the model
    uses, forward never reaching it (a VAE's `loss_function` training its discriminator, a
    prior's pseudo-inputs): used by design outside forward, so a note rather than NN903."""
    unused = [o for o in report.observations if o.kind == "no_grad" and o.path and GUESSED not in o.names]
    if not unused:
        return
    elsewhere = _attributes_outside_forward(cls)
    moved = [o for o in unused if o.path.split(".")[0] in elsewhere]
    if not moved:
        return
    report.observations = [o for o in report.observations if o not in moved]
    methods = sorted({elsewhere[o.path.split(".")[0]] for o in moved})
    report.notes.append(f"{len(moved)} parameter{'s' if len(moved) != 1 else ''} without a gradient from forward "
                        f"(e.g. `{moved[0].path}`) {'are' if len(moved) != 1 else 'is'} used by "
                        f"{', '.join(f'`{m}`' for m in methods)}, which forward never calls: not reported as NN903")


_STAGE_NAMES = re.compile(r"(step|stage|depth|level|lod|res|resolution|phase|n_layers|num_layers)")


def _reached_at_other_stages(report, cls, inputs) -> None:
    """Parameters without a gradient in a model whose forward takes the stage it runs up to,
    left at its default (a progressive GAN's `forward(input, step=0, alpha=-1)` grows through
    its later blocks as `step` rises): another stage may train them, so a note rather than NN903."""
    unused = [o for o in report.observations if o.kind == "no_grad" and GUESSED not in o.names]
    if not unused:
        return
    try:
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return
    args, kwargs = inputs or ((), {})
    stage = next((p for i, p in enumerate(params) if i >= len(args) and p.name not in kwargs
                  and isinstance(p.default, int) and not isinstance(p.default, bool)
                  and _STAGE_NAMES.fullmatch(p.name.lower())), None)
    if stage is None:
        return
    report.observations = [o for o in report.observations if o not in unused]
    count = sum(len(o.names) if not o.path else 1 for o in unused)
    report.notes.append(f"{count} parameter{'s' if count != 1 else ''} got no gradient (e.g. "
                        f"`{unused[0].path or unused[0].names[0]}`) with forward's default `{stage.name}={stage.default}`; "
                        f"another `{stage.name}` may reach them: not reported as NN903 (configure the inputs "
                        f"with `{stage.name}` to check them)")


def _attributes_outside_forward(cls) -> Dict[str, str]:
    """`self.<attribute>` -> the method using it, for the methods of `cls` (and its project bases)
    other than `__init__` that forward does not reach through `self.<method>(...)` calls."""
    import ast
    import textwrap

    trees: Dict[str, ast.AST] = {}
    for klass in reversed(cls.__mro__[:-1]):
        if klass.__module__.split(".")[0] in ("torch", "builtins"):
            continue
        for name, value in vars(klass).items():
            if inspect.isfunction(value):
                try:
                    trees[name] = ast.parse(textwrap.dedent(inspect.getsource(value)))
                except (OSError, TypeError, SyntaxError, IndentationError):
                    trees.pop(name, None)

    def self_attributes(tree) -> Set[str]:
        return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name) and n.value.id == "self"}

    reached, todo = set(), ["forward"]
    while todo:
        method = todo.pop()
        if method in reached or method not in trees:
            continue
        reached.add(method)
        todo.extend(self_attributes(trees[method]) & set(trees))
    if "forward" not in reached:
        return {}
    used_by_forward = set().union(*(self_attributes(trees[m]) for m in reached))
    out: Dict[str, str] = {}
    for method, tree in sorted(trees.items()):
        if method not in reached and method != "__init__":
            for attribute in sorted(self_attributes(tree) - used_by_forward):
                out.setdefault(attribute, method)
    return out


def _forward_missing(cls) -> bool:
    import torch

    return getattr(cls, "forward", None) is getattr(torch.nn.Module, "forward", None)


def _abstract_forward(cls) -> str:
    """Why the class is an abstract base, its subclasses being the models: its forward is an
    `@abstractmethod`, or does nothing but raise NotImplementedError (after a docstring); else
    ""."""
    import ast
    import textwrap

    forward = getattr(cls, "forward", None)
    if _forward_missing(cls):  # nn.Module's own: "missing the required forward", NN107's to judge
        return ""
    if getattr(forward, "__isabstractmethod__", False):
        return "an abstract base: its forward is an @abstractmethod"
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return ""
    function = tree.body[0] if tree.body else None
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return ""
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
        return "an abstract base: its forward only raises NotImplementedError"
    return ""


def _factory_jobs(module, request: dict) -> List[_Job]:
    """Every public function the factories file defines that needs no argument."""
    from nnlint.verify.build import required_parameters

    jobs = []
    for name, func in list(vars(module).items()):
        if (name.startswith("_") or not inspect.isfunction(func) or func.__module__ != module.__name__
                or required_parameters(func)):
            continue
        label = f"{request['display_path']}:{name}"
        jobs.append(_Job(label, label, _factory_runner(func, label, request)))
    return jobs


def _factory_runner(func, label: str, request: dict):
    from nnlint.verify.build import normalize_example

    made: Dict[str, Any] = {}

    def build():
        result = func()
        if not isinstance(result, (tuple, list)) or len(result) not in (2, 3):
            raise TypeError(f"{func.__name__}() returned {type(result).__name__}, not (model, example_args)")
        model, example = result[0], result[1]
        args, kwargs = normalize_example(example)
        if len(result) == 3:
            kwargs.update(result[2] or {})
        made["inputs"] = (args, kwargs)
        return model

    def run(request_: dict, emit) -> ModelRun:
        model_run = ModelRun(name=label, path=request["display_path"], factory=label)
        return check_model(model_run, build, lambda model: made["inputs"], request, emit, factory=True)
    return run


def check_model(model_run: ModelRun, build: Callable[[], Any], inputs: Callable[[Any], Tuple[tuple, dict]],
                request: dict, emit, factory: bool = False) -> ModelRun:
    """Build, feed and check one model; every exception of the user's code lands in the run."""
    import warnings

    import torch

    from nnlint.verify import checks
    from nnlint.verify.build import Skip

    started, cpu_started = time.perf_counter(), time.process_time()
    seed = int(request.get("seed", 0))
    phase = ["build"]

    def on_phase(name: str) -> None:
        phase[0] = name
        emit("phase", phase=name)

    def finish(run: ModelRun) -> ModelRun:
        run.seconds = round(time.perf_counter() - started, 3)
        run.cpu_seconds = round(time.process_time() - cpu_started, 3)
        return run

    on_phase("build")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            checks.seed_everything(seed)
            model = build()
            if factory:
                _name_factory_run(model_run, model)
            if not isinstance(model, torch.nn.Module):
                raise TypeError(f"built a {type(model).__name__}, not an nn.Module")
            model_run.report.checks.append("build")
            on_phase("forward")
            checks.seed_everything(seed)
            args, kwargs = inputs(model)
        except Skip as skip:
            model_run.status, model_run.reason, model_run.hint = SKIPPED, skip.reason, skip.hint
            return finish(model_run)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            model_run.status = FAILED
            obs = checks.error_observation(model_run.report, exc, "build" if phase[0] == "build" else "forward")
            model_run.reason = obs.message
            return finish(model_run)
        prior = [f"{w.category.__name__}: {str(w.message).strip()}" for w in caught]

    device, note = checks.select_device(request.get("device", "auto"))
    report = _run_checks(model, args, kwargs, device, build, seed, prior, on_phase)
    if note:
        report.notes.insert(0, note)
    try:
        model_run.classes.update(class_sources(model))
    except Exception:  # pragma: no cover - introspection of odd classes
        pass
    model_run.report = report
    model_run.report.checks.insert(0, "build")
    model_run.device = report.device
    stopped = [o for o in report.observations if o.kind in _STOPPING_KINDS]
    if stopped:
        model_run.status, model_run.reason = FAILED, stopped[0].message
    return finish(model_run)


def _run_checks(model, args, kwargs, device, rebuild, seed, prior, on_phase) -> CheckReport:
    """run_checks on `device`; on CUDA out-of-memory, once more on a model rebuilt on the CPU."""
    from nnlint.verify import checks

    try:
        return checks.run_checks(model, args, kwargs, device=device, rebuild=rebuild, seed=seed,
                                 prior_warnings=prior, on_phase=on_phase)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        if device.startswith("cuda") and checks.is_oom(exc):
            return _retry_on_cpu(model, args, kwargs, device, rebuild, seed, prior, on_phase, exc)
        report = CheckReport(device=device)  # SystemExit and the like, outside run_checks' net
        checks.error_observation(report, exc, "forward")
        return report


def _retry_on_cpu(model, args, kwargs, device, rebuild, seed, prior, on_phase, exc) -> CheckReport:
    import torch

    from nnlint.verify import checks

    del model
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    note = f"CUDA out of memory on {device} ({checks.describe_error(exc)}): checked on cpu instead"
    try:
        checks.seed_everything(seed)
        model = rebuild()
    except Exception as error:
        report = CheckReport(device="cpu")
        report.notes.append(note)
        checks.error_observation(report, error, "build", "rebuilding on cpu")
        return report
    report = checks.run_checks(model, checks.to_device(args, "cpu"), checks.to_device(kwargs, "cpu"),
                               device="cpu", rebuild=rebuild, seed=seed, prior_warnings=prior,
                               on_phase=on_phase)
    report.notes.insert(0, note)
    return report


def _name_factory_run(model_run: ModelRun, model) -> None:
    from nnlint.verify.build import source_lines

    cls = type(model)
    model_run.name = f"{cls.__module__}:{cls.__qualname__}"
    path, first, last = source_lines(cls)
    model_run.path, model_run.line = path or model_run.path, first
    model_run.classes[""] = ClassSource(model_run.name, path, first, last)


def class_sources(model) -> Dict[str, ClassSource]:
    """Model path -> where its class is defined, for every submodule of a non-torch class."""
    from nnlint.verify.build import source_lines
    from nnlint.verify.checks import is_torch_class

    cache: Dict[type, ClassSource] = {}
    out: Dict[str, ClassSource] = {}
    for path, module in model.named_modules():
        cls = type(module)
        if is_torch_class(cls):
            continue
        if cls not in cache:
            file, first, last = source_lines(cls)
            cache[cls] = ClassSource(f"{cls.__module__}:{cls.__qualname__}", file, first, last)
        out[path] = cache[cls]
    return out


def main() -> None:
    """`python -m nnlint.verify.worker`: a request on stdin, events on the original stdout;
    the user's prints go to stderr (the parent's log)."""
    request = json.loads(sys.stdin.read())
    events = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    faulthandler.enable(file=sys.stderr)
    serve(request, events)


def forked_main(request: dict, read: int, write: int, log_path: str) -> None:  # pragma: no cover - runs in the fork
    """The forked child: its own session, stdin from /dev/null, its prints to the log, events
    on `write`. Never returns."""
    try:
        os.close(read)
        os.setsid()
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        faulthandler.enable(file=sys.stderr)
        serve(request, os.fdopen(write, "w", encoding="utf-8"))
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
