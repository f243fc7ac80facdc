"""Constructor arguments and example inputs: from the configuration, a factories file, the
model's own `example_input_array` / `example_inputs()`, or inferred from its first layer.

The configuration (`parse_config`, the ModelSpec of each model) is read in the parent, without
torch, by nnlint.verify_config; the building here runs in the worker, next to the user's code.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import math
import os
import re
import sys
import textwrap
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Dict, List, Optional, Sequence, Tuple

from nnlint.verify_config import (  # noqa: F401  (the configuration, read by the parent)
    DTYPES, ModelSpec, VerifyConfig, parse_config, parse_memory_limit,
)


# ----- building (worker side) ------------------------------------------------------------------
class Skip(Exception):
    """The model cannot be built or fed without more configuration: skipped, with a hint."""

    def __init__(self, reason: str, hint: str = ""):
        super().__init__(reason)
        self.reason, self.hint = reason, hint


def required_parameters(func, drop_first: bool = False) -> List[inspect.Parameter]:
    """The parameters without a default (not *args/**kwargs) of a callable's signature."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return []
    if drop_first and params:
        params = params[1:]
    return [p for p in params if p.default is inspect.Parameter.empty and p.kind in (
        p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def forward_function(cls: type):
    """`cls.forward`, or None where reading it from the class raises (a ScriptModule's
    compiled forward is only reachable on an instance)."""
    try:
        return cls.forward
    except AttributeError:
        return None


class Builder:
    """Builds one Module class and finds the input it takes, in this order: the configuration;
    else how the project's own code builds and calls it (usage.py: the first site that can be
    made, its inputs too when the instance is called there); else the constructor's defaults
    and guessed arguments (guess.py), a few combinations, each
    with the size guard, until one builds and a forward (eval, no grad) accepts an inferred
    input. A failure our guesses explain is a Skip with the reason, the guess and the TOML to
    add; a failure with nothing guessed is the model's own (raised).

    `build()` the first time searches; after that it rebuilds the chosen way (a fresh instance
    for the state_dict round trip). `feed(model)` gives the inputs chosen with it."""

    def __init__(self, cls: type, name: str, spec: Optional[ModelSpec], on_phase=None,
                 usage: Sequence[dict] = (), avoid: Sequence[str] = ()):
        self.cls, self.name, self.spec = cls, name, spec
        self.avoid = set(avoid)  # ways (`way_of`) not to take again: they gave NaN (worker.py)
        self.usage = list(usage)  # usage.Site dicts, best first
        self.on_phase = on_phase or (lambda phase: None)  # "build" / "forward": where a crash happens
        self.chosen = None  # guess.Candidate
        self.inputs: Optional[Tuple[tuple, dict]] = None
        self.notes: List[str] = []

    @property
    def guessed(self) -> bool:
        """Whether the model was built with arguments nnlint made up."""
        return self.chosen is not None and bool(self.chosen.guessed or self.chosen.notes)

    @property
    def way(self) -> str:
        """The way the model was built: the usage site, or the guessed call."""
        return self.way_of(self.chosen) if self.chosen is not None else ""

    def way_of(self, candidate) -> str:
        site = getattr(candidate, "site", None)
        return f"as in {site.where}" if site is not None else candidate.describe(self.cls.__name__)

    @property
    def ours(self) -> bool:
        """Whether the values the model was built or fed with are nnlint's choice, not the
        user's: a usage site replayed or guessed arguments, and no configured inputs."""
        if self.chosen is None or (self.spec is not None and self.spec.inputs is not None):
            return False
        return self.guessed or hasattr(self.chosen, "site")

    def build(self):
        if self.chosen is not None:
            return self.chosen.call(self.cls)
        return self._search()

    def feed(self, model) -> Tuple[tuple, dict]:
        if self.inputs is None:
            self.inputs = choose_inputs(model, self.name, example_inputs(model, self.name, self.spec), self.spec)
        return self.inputs

    def _search(self):
        from torch import nn

        from nnlint.verify import guess, usage
        from nnlint.verify.checks import describe_error, error_kind

        cls, name, spec = self.cls, self.name, self.spec
        if spec is not None and spec.skip:
            raise Skip(spec.skip)
        abstract = sorted(getattr(cls, "__abstractmethods__", ()) or ())
        if abstract:
            raise Skip(f"abstract class (abstract: {', '.join(abstract)})")
        configured = spec is not None and spec.has_constructor
        used = [] if configured else self._from_usage()
        if configured:
            tries = [guess.Candidate(tuple(spec.args), dict(spec.kwargs))]
        else:
            tries = [way for candidate in used for way in (*self._shrunk(candidate), candidate)] \
                + list(itertools.islice(guess.candidates(cls), guess.PROFILES + 1))
            tries = [candidate for candidate in tries if self.way_of(candidate) not in self.avoid]
            used = [candidate for candidate in tries if isinstance(candidate, usage.FromUsage)]
        failures: List[Tuple[Any, str]] = []
        built_one = None  # (candidate, model) of the last candidate that built
        input_skip: Optional[Skip] = None
        own_error: Optional[BaseException] = None
        own_defaults = None  # (candidate, model, inputs): its defaults built, a forward failed
        guarded: List[Any] = []  # candidates the size guard need not see again (a narrower shrink)
        for candidate in tries:
            original = candidate
            self.on_phase("build")
            missing = [key for key, value in candidate.guessed.items() if value is guess.EMPTY]
            if missing:
                params = [p for p in required_parameters(cls) if p.name in missing]
                raise Skip(f"{cls.__name__}({', '.join(p.name for p in required_parameters(cls))}) needs "
                           f"constructor arguments (no guess for {', '.join(missing)})",
                           toml_hint(name, constructor=required_parameters(cls), values=_plain(candidate.kwargs),
                                     existing=spec is not None) if params else "")
            guessed = bool(candidate.guessed or candidate.notes)
            from_usage = candidate in used
            if not configured and not any(candidate is done for done in guarded):
                candidate = self._guard(candidate, failures)
                if candidate is None:
                    continue
                guessed = bool(candidate.guessed or candidate.notes)  # shrunk defaults are ours too
            try:
                model = candidate.call(cls)
            except Exception as exc:
                if from_usage and candidate.shrunk_note:  # our shrinking broke it: the site as written next
                    failures.append((candidate, f"shrunk, raised {describe_error(exc)}"))
                    continue
                if from_usage and isinstance(exc, ImportError):  # an option of that site needs a package
                    failures.append((candidate, f"raised {describe_error(exc)}"))
                    continue  # not installed here: the next site, or a guess
                if configured or from_usage or isinstance(exc, NameError) or error_kind(exc, "build") in (
                        "init_order_error", "container_error"):
                    if from_usage:
                        self.notes.append(f"built as in {candidate.site.where}")
                    raise  # the code's own arguments, or no argument of ours makes a name undefined
                if not guessed:  # its own defaults fail: the model's error, unless a guess for a None works
                    self._missing_through_var_args(exc)
                    self._empty_var_args(exc)
                    own_error = own_error or exc
                    continue
                failures.append((candidate, f"raised {describe_error(exc)}"))
                continue
            if not isinstance(model, nn.Module):
                return model  # the caller says what it is
            built_one = built_one or (candidate, model)  # the hint gives the first, most usual one
            self.on_phase("forward")
            if from_usage and self._usage_inputs(model, candidate):
                self.chosen = candidate
                self.notes.append(f"built as in {candidate.site.where}{candidate.shrunk_note}, "
                                  f"fed as in {candidate.site.fed_where}")
                return model
            # its own defaults, with guesses for its None defaults still to try: strict as well
            # (`shared_block=None` called in forward); the defaults get the last word below
            defaults_first = not guessed and not configured and not from_usage and candidate is not tries[-1]
            try:
                inputs = example_inputs(model, name, spec, built=candidate.named(cls) if from_usage
                                        else {**guess.part_sizes(candidate), **candidate.kwargs})
                # the code's own arguments, our inputs: an error they explain is ours, not the model's
                self.inputs = try_inputs(model, inputs, strict=guessed or defaults_first or from_usage,
                                         guessed=guessed)
            except Skip as skip:
                input_skip = skip
                failures.append((candidate, skip.reason))
                continue
            except Rejected as rejected:
                if defaults_first:
                    own_defaults = (candidate, model, inputs)
                failures.append((candidate, _rejected_reason(inputs, rejected)))
                narrower = self._narrower(original, candidate) if not from_usage and not configured else None
                if narrower is not None:  # its image size shrunk with its widths: the widths only, next
                    guarded.append(narrower)
                    tries.insert(next(i for i, c in enumerate(tries) if c is original) + 1, narrower)
                continue
            self.chosen = candidate
            if from_usage:
                fed = f", fed {describe_inputs(self.inputs)} ({inputs.chosen_how()})" if inputs.inferred else ""
                self.notes.append(f"built as in {candidate.site.where}{candidate.shrunk_note}{fed}")
            elif guessed:
                fed = f", fed {describe_inputs(self.inputs)} ({inputs.chosen_how()})" if inputs.inferred else ""
                self.notes.append(f"built as {candidate.describe(cls.__name__)}{fed}: guessed, not configured")
            self.notes.extend(candidate.notes)
            return model
        if own_error is not None and built_one is None:  # nothing builds: its defaults' error is its own
            raise own_error
        if own_defaults is not None:  # nothing guessed did better: judged on its defaults, as before
            candidate, model, inputs = own_defaults
            try:
                self.inputs = try_inputs(model, inputs)
            except Rejected as rejected:
                raise Skip(_rejected_reason(inputs, rejected), self._give_up(failures, built_one, None).hint)
            self.chosen = candidate
            return model
        raise self._give_up(failures, built_one, input_skip)

    def _from_usage(self) -> list:
        """A candidate per usage site whose arguments can be made here (best first)."""
        from nnlint.verify import usage

        made = []
        for data in self.usage:
            site = usage.Site.from_dict(data)
            try:
                usage.make(site)  # can it be made? (a class whose module is not imported cannot)
            except Exception:
                continue
            made.append(usage.FromUsage(site=site))
        return made

    def _usage_inputs(self, model, candidate) -> bool:
        """Take the inputs the site calls the instance with, unless the configuration or the
        model itself declares some. A shrunk site's inputs must pass a trial forward first (a
        narrower model may take them or not), and are not taken when the size they follow was
        shrunk (`image_size`): then inputs are inferred, as small as the model allows."""
        from nnlint.verify import usage

        site = candidate.site
        if site.inputs is None or (self.spec is not None and self.spec.inputs is not None) or candidate.input_shrunk:
            return False
        if getattr(model, "example_input_array", None) is not None or callable(getattr(model, "example_inputs", None)):
            return False
        try:
            self.inputs = usage.feed(site)
            if candidate.shrunk_note:
                self.inputs = try_inputs(model, Inputs(f"as in {site.fed_where}", [self.inputs]), strict=True)
        except Exception:
            self.inputs = None
            return False
        return True

    def _shrunk(self, candidate) -> list:
        """A usage site's candidate with its large sizes made small, when it is large: more
        than guess.SHRINK_ABOVE parameters, or inputs of more than LARGE_INPUT values (a
        `__main__` demo at full size: `dim = 1024`, a batch of 8 images of 256 x 256); then
        one with only its widths, depths and counts made small, its spatial sizes as written
        (LookViT asserts `patch_size > highres_patch_size`, which a patch size of 4 breaks).
        None of them when it is small or nothing in it can be shrunk."""
        from nnlint.verify import guess, usage

        try:
            names = [p.name for p in inspect.signature(self.cls).parameters.values()
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            return []
        found = usage.shrink(candidate.site, names)
        if found is None:
            return []
        size = guess.count_parameters(self.cls, candidate)
        large = size is not None and size > guess.SHRINK_ABOVE
        if not large and candidate.site.inputs is not None:
            try:
                args, kwargs = usage.feed(candidate.site)
            except Exception:
                args, kwargs = (), {}
            large = sum(getattr(value, "numel", lambda: 0)() for value in list(args) + list(kwargs.values())) \
                > LARGE_INPUT
        if not large:
            return []
        site, changes = found
        ways = [usage.FromUsage(site=site, shrunk=changes)]
        narrower = usage.shrink(candidate.site, names, spatial=False)
        if narrower is not None and narrower[1] != changes:
            ways.append(usage.FromUsage(site=narrower[0], shrunk=narrower[1]))
        return ways

    def _guard(self, candidate, failures):
        """The candidate, shrunk if it is too large; None (a failure recorded) if still too large."""
        from nnlint.verify import guess

        size = guess.count_parameters(self.cls, candidate)
        if size is None or size <= guess.SHRINK_ABOVE:
            return candidate
        smaller = None if hasattr(candidate, "site") else guess.shrink_defaults(self.cls, candidate)
        smaller_size = guess.count_parameters(self.cls, smaller) if smaller is not None else None
        if smaller is not None and smaller_size is not None and smaller_size < size:
            candidate, size = smaller, smaller_size
        if size <= guess.MAX_PARAMETERS:
            return candidate
        failures.append((candidate, f"too large for the memory limit: {_millions(size)} parameters "
                                    f"(the limit is {_millions(guess.MAX_PARAMETERS)})"))
        return None

    def _narrower(self, original, shrunk):
        """When the size guard shrank the defaults' image or kernel sizes (and no input fitted
        what they made), the defaults with their widths, depths and counts shrunk only (or as
        they are, when nothing else shrinks), if under the parameter limit; else None."""
        from nnlint.verify import guess

        if shrunk is original or hasattr(original, "site"):
            return None
        narrower = guess.shrink_defaults(self.cls, original, spatial=False) or original
        if narrower.kwargs == shrunk.kwargs:
            return None
        size = guess.count_parameters(self.cls, narrower)
        return narrower if size is not None and size <= guess.MAX_PARAMETERS else None

    def _missing_through_var_args(self, exc: BaseException) -> None:
        """`__init__(self, *args, **kwargs)` passing them on: the base needs them."""
        missing = _MISSING_ARGS.search(str(exc)) if isinstance(exc, TypeError) else None
        if missing is None or not _takes_var_args(self.cls):
            return
        names = re.findall(r"'(\w+)'", missing.group(0))
        params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
        raise Skip(f"{self.cls.__name__}(...) needs constructor arguments: {exc}",
                   toml_hint(self.name, constructor=params, existing=self.spec is not None)) from None

    def _empty_var_args(self, exc: BaseException) -> None:
        """`__init__(self, *fns)` with nothing else to fill: called with no `fns` (our guess: we
        cannot know what they hold) it may reject the empty call (vector-quantize-pytorch's
        `Sequential`: "must contain exactly one quantizer"). Skipped with the reason, not failed."""
        from nnlint.verify.checks import describe_error

        try:
            params = list(inspect.signature(self.cls).parameters.values())
        except (TypeError, ValueError):
            return
        star = [p for p in params if p.kind == p.VAR_POSITIONAL]
        if not star or any(p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            return
        raise Skip(f"{self.cls.__name__}(*{star[0].name}) needs positional arguments: called without any, it "
                   f"raised {describe_error(exc)} (build it in a function listed in [tool.nnlint.verify] "
                   f"factories)") from None

    def _give_up(self, failures, built_one, input_skip) -> Skip:
        cls, name = self.cls, self.name
        if not failures:
            return Skip("nothing to try")
        candidate, why = failures[-1]
        tried = f" ({len(failures)} combinations tried)" if len(failures) > 1 else ""
        if why.startswith("too large"):
            return Skip(why, toml_hint(name, constructor=required_parameters(cls),
                                       values=_plain(candidate.kwargs), existing=self.spec is not None))
        if built_one is not None:  # it builds: the hint gives those arguments and an input to fill in
            candidate, model = built_one
            forward = forward_inputs(forward_function(type(model)))
            names = forward[0] + forward[1]
            plain = _plain(candidate.kwargs)
            # an object nnlint made for it (`config=ModelConfig(...)`) cannot be written in TOML,
            # and a kwargs table replaces every guess: give the inputs only, the guess is made again
            made = bool(candidate.guessed) and len(plain) < len(candidate.kwargs)
            hint = toml_hint(name, constructor=required_parameters(cls) if candidate.guessed and not made else (),
                             values={} if made else plain, forward=names or None,
                             shapes=guess_shapes(model, names, candidate.kwargs), existing=self.spec is not None)
            if input_skip is not None and why == input_skip.reason:
                return Skip(f"{why}; built as {candidate.describe(cls.__name__)}" if candidate.guessed else why,
                            hint)
            built = f"built as {candidate.describe(cls.__name__)}, " if candidate.guessed else ""
            return Skip(f"{built}{why}{tried}", hint)
        return Skip(f"{candidate.describe(cls.__name__)} with guessed arguments {why}{tried}",
                    toml_hint(name, constructor=required_parameters(cls), values=_plain(candidate.kwargs),
                              existing=self.spec is not None))


def _plain(values: Dict[str, Any]) -> Dict[str, Any]:
    """The values that TOML can hold (the others stay placeholders in a hint)."""
    def plain(value):
        if isinstance(value, (bool, int, float, str)):
            return True
        return isinstance(value, (list, tuple)) and all(plain(v) for v in value)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items() if plain(v)}


def _millions(count: int) -> str:
    return f"{count / 1e6:.0f}M" if count >= 1e6 else f"{count:,}"


_MISSING_ARGS = re.compile(r"missing \d+ required (?:positional|keyword-only) arguments?:? ?(.*)$")


def _takes_var_args(cls) -> bool:
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


_PLACEHOLDERS = {int: "16", float: "0.1", bool: "false", str: '"..."'}


def _placeholder(param: inspect.Parameter) -> Tuple[str, bool]:
    """A TOML value for a parameter, and whether its type is plain (JSON-able)."""
    annotation = param.annotation
    if isinstance(annotation, str):
        annotation = {"int": int, "float": float, "bool": bool, "str": str}.get(annotation, annotation)
    if annotation in _PLACEHOLDERS:
        return _PLACEHOLDERS[annotation], True
    if annotation is inspect.Parameter.empty and not re.search(r"config|cfg|args|opt", param.name, re.I):
        return "16", True
    return "16", False


def _toml_key(name: str) -> str:
    return name if re.match(r"^[A-Za-z0-9_-]+$", name) else f'"{name}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def toml_hint(name: str, constructor: Sequence[inspect.Parameter] = (),
              forward: Optional[Sequence[str]] = None, existing: bool = False,
              values: Optional[Dict[str, Any]] = None, shapes: Optional[Sequence[Tuple]] = None) -> str:
    """The TOML a user adds to build and feed `name`. `values`: the constructor arguments that
    built it (else placeholders to replace); `shapes`: (shape, dtype, high) per forward argument."""
    lines = [f'[tool.nnlint.verify.models."{name}"]' + ("   # add to the existing table" if existing else "")]
    plain, known = True, values or {}
    if constructor or known:
        entries, placeholders = [], False
        for param in constructor:
            if param.name in known:
                entries.append(f"{_toml_key(param.name)} = {_toml_value(known[param.name])}")
                continue
            value, simple = _placeholder(param)
            plain, placeholders = plain and simple, True
            entries.append(f"{_toml_key(param.name)} = {value}")
        named = {p.name for p in constructor}
        entries += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in known.items() if k not in named]
        comment = "placeholders: put the real values" if placeholders else "what nnlint guessed: check them"
        lines.append(f"kwargs = {{ {', '.join(entries)} }}   # {comment}")
    if forward:
        shapes = list(shapes or [])
        shapes += [([2, 16], "float32", None)] * (len(forward) - len(shapes))
        lines.append(f"inputs = [{', '.join(_toml_value(list(s[0])) for s in shapes)}]   "
                     f"# one shape per forward argument ({', '.join(forward)})")
        if any(s[1] != "float32" for s in shapes):
            lines.append(f"dtypes = [{', '.join(_toml_value(s[1]) for s in shapes)}]")
            highs = [s[2] for s in shapes if s[2]]
            if highs:
                lines.append(f"high = {min(highs)}")
    if not plain:
        lines.append("# or build it in a function listed in [tool.nnlint.verify] factories, "
                     "returning (model, example_args)")
    return "\n".join(lines)


# ----- example inputs --------------------------------------------------------------------------
@dataclass
class Inputs:
    how: str  # "configured", "example_input_array", "example_inputs()", "inferred from `fc` (Linear)"
    attempts: List[Tuple[tuple, dict]]  # candidate (args, kwargs); inferred inputs may have several
    inferred: bool = False
    hows: List[str] = field(default_factory=list)  # per attempt, when they differ
    chosen: int = 0  # the attempt a forward accepted

    def chosen_how(self) -> str:
        return self.hows[self.chosen] if self.hows else self.how


def make_tensor(shape: Sequence[int], dtype: str = "float32", high: Optional[int] = None, fill=None):
    import torch

    dt = getattr(torch, dtype)
    if fill is not None and dt.is_floating_point:  # a float mask of ones
        return torch.full(tuple(shape), float(fill), dtype=dt)
    if dt == torch.bool:
        if fill is not None:
            return torch.full(tuple(shape), bool(fill))
        return torch.randint(0, 2, tuple(shape)).bool()
    if dt.is_floating_point or dt.is_complex:
        return torch.randn(tuple(shape), dtype=dt)
    if fill is not None:  # sequence lengths: each sequence whole
        return torch.full(tuple(shape), int(fill), dtype=dt)
    return torch.randint(0, high or 2, tuple(shape), dtype=dt)


def normalize_example(value: Any) -> Tuple[tuple, dict]:
    """Lightning's convention: a tensor is one argument, a tuple/list several, a dict keywords."""
    if isinstance(value, dict):
        return (), dict(value)
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        return tuple(value), {}
    return (value,), {}


# An argument to make: shape, "float" (the model's float dtype) or a dtype name, high (integers; the
# value itself for "number", a Python number), fill (bools, a float mask of ones, integer lengths).
Arg = Tuple[Tuple[int, ...], str, Optional[int]]
Attempt = List[Arg]

MAX_ATTEMPTS = 12
MAX_VARIANTS = 4  # other readings of the further inputs, with each of the two best first inputs
LARGE_INPUT = 1 << 18  # values in a usage site's inputs above which its sizes are shrunk (8 x 3 x 256 x 256)
_TOKEN_NAMES = re.compile(r"^(idx|ids|tokens?|input_ids|token_ids|text|seq|src|tgt|sequence|words?|indices|"
                          r"input_tokens|x_ids|captions?)$")
_IMAGE_NAMES = re.compile(r"^(img|imgs|image|images|pixel_values|pixels|video|videos|frames|picture)$")
_MASK_NAMES = re.compile(r"mask")
_TIME_NAMES = re.compile(r"^(t|time|times|timestep|timesteps|step|steps|noise_level|sigma|sigmas|noise_cond)$")
_LENGTHS_NAMES = re.compile(r"(^|_)(lengths?|lens)$")
_LABEL_NAMES = re.compile(r"^(y|label|labels|class|classes|class_labels|class_ids|cls|targets?|c)$")


def example_inputs(model, name: str, spec: Optional[ModelSpec], built: Optional[dict] = None) -> Inputs:
    """The inputs to call `model` with, or Skip with the TOML to add. `built`: the constructor
    arguments the model was built with (their sizes seed the guesses)."""
    if spec is not None and spec.inputs is not None:
        dtypes = spec.dtypes or [_float_dtype(model)] * len(spec.inputs)
        args = tuple(make_tensor(shape, dtype, spec.high) for shape, dtype in zip(spec.inputs, dtypes))
        return Inputs("configured", [(args, {})])
    declared = getattr(model, "example_input_array", None)
    if declared is not None and not callable(declared):
        return Inputs("example_input_array", [normalize_example(declared)])
    method = getattr(model, "example_inputs", None)
    if callable(method) and not required_parameters(method):
        return Inputs("example_inputs()", [normalize_example(method())])
    forward = forward_function(type(model))
    positional, keywords = forward_inputs(forward)
    if not positional and not keywords:
        if _forward_parameters(forward):  # forward(self, x=None, ...): call it bare first
            return Inputs("no arguments (every forward argument has a default)", [((), {})], inferred=True)
        return Inputs("no arguments", [((), {})])
    firsts = _first_input(model, positional[0] if positional else keywords[0], built or {})
    dtype = _float_dtype(model)
    rest = (positional + keywords)[1:]
    attempts = []
    uses = argument_uses(forward)
    dims = _model_dims(model, built or {})
    numbers = {**_flag_parameters(forward), **_number_parameters(forward)}
    for index, first in enumerate(firsts):
        options = [[((), "number", numbers[other], None)] if other in numbers else
                   _other_input(model, other, first, uses.get(other), dims) for other in rest]
        others = [option[0] for option in options]
        if index == 0 and any(other == first[:4] for other in others):
            # `torch.cat((self.up(x), skip), 1)`: the other input is shaped like what the
            # first attribute forward applies to the first input makes of it (a UNet's skip)
            made = _child_output(model, forward, first, dtype)
            if made is not None:
                attempts.append(([first[:4]] + [made if other == first[:4] else other for other in others],
                                 first[4]))
        attempts.append(([first[:4]] + others, first[4]))
        if index < 2 and any(len(option) > 1 for option in options):
            # the other readings of the further inputs: all the second ones (a mask and a second
            # mask shaped alike), then one at a time
            variants = [[option[1] if len(option) > 1 else option[0] for option in options]]
            variants += [others[:i] + [alt] + others[i + 1:] for i, option in enumerate(options) for alt in option[1:]]
            attempts += [([first[:4]] + variant, first[4]) for variant in variants[:MAX_VARIANTS]]
        alike = [i for i, other in enumerate(others) if other == first[:4]]
        shape, parts = first[0], 1 + len(alike)
        if alike and first[1] == "float" and len(shape) >= 2 and shape[1] % parts == 0 and shape[1] >= parts:
            # `cat((img_A, img_B), 1)` into the first layer: each holds its share of the channels
            split = (tuple(shape[:1]) + (shape[1] // parts,) + tuple(shape[2:]),) + tuple(first[1:4])
            attempts.append(([split] + [split if i in alike else other for i, other in enumerate(others)],
                             first[4] + f" split over {parts} inputs"))
    if rest:  # then every argument like the first (`forward(x, y)` adding them)
        attempts += [([first[:4]] * (1 + len(rest)), first[4]) for first in firsts]
    made, hows = [], []
    listed = [i for i, arg in enumerate(positional + keywords) if uses.get(arg) == "list"]
    for attempt, how in _distinct(attempts, key=lambda a: a[0])[:MAX_ATTEMPTS]:
        tensors = [high if kind == "number" else make_tensor(shape, dtype if kind == "float" else kind, high, fill)
                   for shape, kind, high, fill in attempt]
        for i in listed:  # `torch.cat(xs, 1)`: a list of tensors, the channels split in two if they can be
            tensors[i] = list(tensors[i].chunk(2, 1)) if tensors[i].dim() > 1 and tensors[i].shape[1] % 2 == 0 \
                and tensors[i].shape[1] > 1 else [tensors[i]]
        made.append((tuple(tensors[:len(positional)]), dict(zip(keywords, tensors[len(positional):]))))
        hows.append(how + (f", {', '.join(rest)} by name" if rest else "")
                    + (f", {', '.join((positional + keywords)[i] for i in listed)} as a list" if listed else ""))
    return Inputs(hows[0], made, inferred=True, hows=hows)


_JOINS = {"cat", "stack", "concat", "concatenate", "hstack", "vstack", "dstack"}
_NUMBERS = {"int": 2, "float": 0.5}  # for a further argument annotated as a Python number


def _number_parameters(forward) -> Dict[str, Any]:
    """forward's parameters annotated `int` or `float` (encodec's `frame_rate: int`): the
    number to pass, not a tensor."""
    try:
        params = list(inspect.signature(forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return {}
    numbers = {}
    for param in params:
        annotation = param.annotation
        name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if annotation in (int, float) or name in ("int", "float") and isinstance(annotation, str):
            numbers[param.name] = _NUMBERS[name]
    return numbers


def _flag_parameters(forward) -> Dict[str, bool]:
    """forward's required arguments that are flags: annotated `bool`, or only ever tested for
    truth (`if return_attn:`, `x if vis else y`, `not train`, `a and b`) or passed on as they
    are (`self.attn(x, return_attn=return_attn)`, `block(x, vis)`), tested at least once. They get False: the
    plain path (no attention maps returned, no visualisation, no forced label drop)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return {}
    func = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if func is None:
        return {}
    arguments = (func.args.posonlyargs + func.args.args)[1:] + func.args.kwonlyargs
    names = {a.arg for a in arguments}
    tests: Dict[str, int] = {}
    values: set = set()  # used otherwise: not a flag
    parents = {child: node for node in ast.walk(func) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(func):
        if not (isinstance(node, ast.Name) and node.id in names and isinstance(node.ctx, ast.Load)):
            continue
        parent = parents.get(node)
        test = isinstance(parent, (ast.If, ast.IfExp, ast.While, ast.Assert)) and parent.test is node \
            or isinstance(parent, ast.BoolOp) or isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)
        passed = isinstance(parent, ast.keyword) and parent.arg is not None \
            or isinstance(parent, ast.Call) and node in parent.args  # `block(x, return_attn)`
        if test:
            tests[node.id] = tests.get(node.id, 0) + 1
        elif not passed:
            values.add(node.id)
    flags = set(tests) - values
    flags |= {a.arg for a in arguments if isinstance(a.annotation, ast.Name) and a.annotation.id == "bool"}
    return {name: False for name in sorted(flags)}


def argument_uses(forward) -> Dict[str, Any]:
    """What forward's body says of each argument: "list" when it is joined whole
    (`torch.cat(xs, 1)`: a list of tensors), else the name of the `self.<layer>` it is first
    passed to (`self.fc(z)`: shaped for that layer)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return {}
    func = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if func is None or not func.args.args:
        return {}
    names = [a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs][1:]
    self_name = func.args.args[0].arg if func.args.args else "self"
    uses: Dict[str, Any] = {}
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name) and callee.value.id == self_name:
            for index, arg in list(enumerate(node.args))[1:]:  # `self.conv(input, style)`: the part's own
                if isinstance(arg, ast.Name) and arg.id in names and arg.id not in uses:  # forward says
                    uses[arg.id] = (callee.attr, index)
        if not node.args or not isinstance(node.args[0], ast.Name) \
                or node.args[0].id not in names or node.args[0].id in uses:
            continue
        if isinstance(callee, ast.Attribute) and callee.attr in _JOINS and not (
                isinstance(callee.value, ast.Name) and callee.value.id == self_name):
            uses[node.args[0].id] = "list"
        elif isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name) \
                and callee.value.id == self_name:
            uses[node.args[0].id] = callee.attr
    return uses


def _child_output(model, forward, first: Tuple, dtype: str) -> Optional[Tuple]:
    """The shape that the first attribute forward applies to its input makes of the first
    input, as an input to make; None when it cannot be run or is no tensor."""
    import torch

    order = forward_attribute_order(type(model))
    child = getattr(model, order[0], None) if order else None
    if child is None or not callable(child) or first[1] != "float":
        return None
    try:
        with torch.no_grad():
            was = getattr(child, "training", None)
            if was is not None:
                child.eval()
            out = child(make_tensor(first[0], dtype))
            if was:
                child.train()
    except Exception:
        return None
    if not isinstance(out, torch.Tensor) or not out.is_floating_point() or out.dim() != len(first[0]):
        return None
    return (tuple(out.shape), "float", None, None)


def forward_inputs(forward) -> Tuple[List[str], List[str]]:
    """forward's required arguments: (positional names, keyword-only names); the keys forward
    reads from its `**kwargs` as `kwargs['labels']` are required keywords too."""
    required = required_parameters(forward, drop_first=True)
    positional = [p.name for p in required if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keywords = [p.name for p in required if p.kind == p.KEYWORD_ONLY]
    keywords += [key for key in _required_keys(forward) + _needed_nones(forward) if key not in positional + keywords]
    if not required:
        try:
            params = list(inspect.signature(forward).parameters.values())[1:]
        except (TypeError, ValueError):
            params = []
        if any(p.kind == p.VAR_POSITIONAL for p in params) and not [
                p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]:
            positional = ["x"]  # forward(self, *args): one input
    return positional, keywords


def _required_keys(forward) -> List[str]:
    """The keys forward reads from its `**kwargs` by subscript (`y = kwargs['labels']`: a
    KeyError without it), in order; not those read with `.get`, behind an `in` test or under
    an `if`."""
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return []
    var = next((p.name for p in params if p.kind == p.VAR_KEYWORD), None)
    if var is None:
        return []
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return []
    tested = {node.left.value for node in ast.walk(tree) if isinstance(node, ast.Compare)
              and isinstance(node.left, ast.Constant) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)}
    # a read under an `if` (`if exists(self.norm_context): context = kwargs['context']`) may
    # never happen: the model's own settings decide
    conditional = {id(n) for branch in ast.walk(tree) if isinstance(branch, (ast.If, ast.IfExp))
                   for part in (branch.body, branch.orelse) for statement in (part if isinstance(part, list) else [part])
                   for n in ast.walk(statement)}
    keys = []
    for node in ast.walk(tree):
        if id(node) not in conditional and isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
                and isinstance(node.value, ast.Name) and node.value.id == var and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str) and node.slice.value.isidentifier() \
                and node.slice.value not in tested and node.slice.value not in keys:
            keys.append(node.slice.value)
    return keys


_TENSOR_MODULES = {"F", "torch", "th", "functional"}


def _needed_nones(forward) -> List[str]:
    """forward's parameters that default to None yet are used as tensors without a test
    (guided-diffusion's `SuperResModel.forward(x, timesteps, low_res=None)`: `F.interpolate(low_res,
    ...)` first thing): an input to give, by name. Never one tested anywhere (`if mask is not
    None`, `mask or ...`), nor one only passed on (the callee may take None)."""
    try:
        params = list(inspect.signature(forward).parameters.values())[1:]
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (TypeError, ValueError, OSError, SyntaxError, IndentationError):
        return []
    nones = [p.name for p in params if p.default is None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not nones:
        return []
    tested = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    used: List[str] = []  # (a name given a value in forward counts as tested: `context = default(context, x)`)
    for node in ast.walk(tree):
        tests = [node.test] if isinstance(node, (ast.If, ast.IfExp, ast.While, ast.Assert)) else \
            node.values if isinstance(node, ast.BoolOp) else [node] if isinstance(node, ast.Compare) else []
        for test in tests:  # `if low_res is not None`, `if mask`, `x or default`
            tested.update(n.id for n in ast.walk(test) if isinstance(n, ast.Name))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in _TENSOR_MODULES:
            names = [a.id for a in node.args[:1] if isinstance(a, ast.Name)]  # `F.interpolate(low_res, ...)`
        elif isinstance(node, ast.BinOp):  # `x * mask`
            names = [n.id for n in (node.left, node.right) if isinstance(n, ast.Name)]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):  # `low_res.shape`
            names = [node.value.id]
        else:
            names = []
        used += [name for name in names if name in nones and name not in used]
    return [name for name in used if name not in tested]


def _first_input(model, arg_name: str, built: dict) -> List[Tuple]:
    """The first argument's candidates, best first: (shape, kind, high, fill, how)."""
    out: List[Tuple] = []
    found = first_layer(model)
    if found is None:  # a layer itself: a subclass of a torch layer, a leaf that convolves its own weight
        told = layer_inputs(model) if not list(model.children()) else None
        told = told or _linear_like(model)
        found = ("weight", model, told) if told else None
    sizes = _image_sizes(model, built)
    embedding = _first_of(model, ("Embedding", "EmbeddingBag"))
    if _TOKEN_NAMES.match(arg_name.lower()) and embedding is not None:
        how = f"token ids for `{arg_name}` (vocabulary of {embedding.num_embeddings})"
        out.append(((2, _sequence_length(model, built)), "int64", embedding.num_embeddings, None, how))
    if found is not None:
        path, layer, attempts = found
        how = f"inferred from `{path}` ({type(layer).__name__})"
        shapes = [attempt[0] for attempt in attempts]  # the first argument's
        if sizes and len(shapes[0][0]) == 4:  # the model says its image size: that first
            shapes = [((2, shapes[0][0][1], size, size), "float", None) for size in sizes] + shapes
        out += [(shape, kind, high, None, how) for shape, kind, high in shapes]
    if out:  # (batch, 8, dim) guesses: first at the length the model says it takes
        lengths = _sequence_lengths(model, built)
        out = [(a[0][:1] + (n,) + a[0][2:],) + a[1:] for a in out for n in lengths
               if len(a[0]) == 3 and a[0][1] == 8 and a[1] == "float"] + out
    asserted = asserted_shape(model, arg_name)
    if asserted:  # `assert x.shape[1:] == (self.channels, self.seq_len)`: exactly that
        out.insert(0, ((2,) + asserted, "float", None, None, f"the shape forward asserts for `{arg_name}`"))
    told = one_dim_use(forward_function(type(model)), arg_name)
    if told:  # a time embedding: `rearrange(x, 'b -> b 1')`, `x[:, None] * freqs[None, :]`
        out.insert(0, ((2,), "float", None, None, f"a batch of time values ({told})"))
    if _IMAGE_NAMES.match(arg_name.lower()) and not any(len(a[0]) >= 4 for a in out):
        channels = _guessed(built, r"channels|chans|^c$|in_ch") or 3
        for size in sizes or [32, 64]:
            out.append(((2, channels, size, size), "float", None, None, f"an image for `{arg_name}`"))
    how = "tried ranks and sizes" + ("" if out else " (no layer tells the input shape)")
    for dim in _model_dims(model, built)[:2]:
        out += [((2, 8, dim), "float", None, None, how), ((2, dim), "float", None, None, how),
                ((2, dim, 16, 16), "float", None, None, how)]
    out += [((2, 3, 32, 32), "float", None, None, how), ((2, 8, 16), "float", None, None, how),
            ((2, 16), "float", None, None, how)]
    rank = unpacked_rank(forward_function(type(model)), arg_name) or _part_rank(model)
    if rank:  # `b, c, t = x.shape`: that rank first, the others cut or padded to it
        fitted = [(tuple(a[0][:rank]) + (16,) * (rank - len(a[0])),) + a[1:4] + (a[4] + f", as {rank}-D",)
                  for a in out if len(a[0]) != rank and (a[1] == "float" or len(a[0]) < rank)]
        tokens = [a for a in fitted if a[1] != "float"]  # `B, K, T = indices.shape`: ids (B, K, 16)
        out = tokens + [a for a in out if len(a[0]) == rank] + [a for a in fitted if a[1] == "float"] \
            + [a for a in out if len(a[0]) != rank]
    return _distinct(out, key=lambda a: a[:4])


def asserted_shape(model, arg_name: str) -> Tuple[int, ...]:
    """The shape past the batch that forward asserts its argument has, when it says it whole
    with numbers and the model's own attributes (denoising-diffusion-pytorch's Karras UNets:
    `assert x.shape[1:] == (self.channels, self.frames, self.image_size, self.image_size)`); else ()."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward_function(type(model)))))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return ()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1
                and isinstance(node.test.ops[0], ast.Eq)):
            continue
        left, right = node.test.left, node.test.comparators[0]
        if isinstance(left, ast.Call) and getattr(left.func, "id", "") == "tuple" and len(left.args) == 1:
            left = left.args[0]  # `tuple(x.shape[1:])`
        if not (isinstance(left, ast.Subscript) and isinstance(left.slice, ast.Slice)
                and isinstance(left.slice.lower, ast.Constant) and left.slice.lower.value == 1
                and left.slice.upper is None and isinstance(left.value, ast.Attribute)
                and left.value.attr == "shape" and isinstance(left.value.value, ast.Name)
                and left.value.value.id == arg_name and isinstance(right, (ast.Tuple, ast.List))):
            continue
        sizes = []
        for element in right.elts:
            if isinstance(element, ast.Attribute) and isinstance(element.value, ast.Name) \
                    and element.value.id == "self":
                value = getattr(model, element.attr, None)
            else:
                value = element.value if isinstance(element, ast.Constant) else None
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                break
            sizes.append(value)
        else:
            return tuple(sizes)
    return ()


def one_dim_use(forward, arg_name: str) -> str:
    """How forward says its argument is 1-D, a batch of time values or noise levels (the
    embeddings of diffusion models): `rearrange(x, 'b -> b 1')` (one axis on the left),
    `x[:, None]`, an einx pattern with one axis for it; else ""."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) \
                and node.args[0].id == arg_name and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str) and "->" in node.args[1].value \
                and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("rearrange", "repeat"):
            left = node.args[1].value.split("->", 1)[0].split()
            if len(left) == 1 and left[0].isidentifier():
                return f"`{node.args[1].value.strip()}`"
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and "->" in node.args[0].value:
            # einx: `einx.multiply('i, j -> i j', x, self.weights)`, one pattern per tensor
            inputs = node.args[0].value.split("->", 1)[0].split(",")
            for pattern, argument in zip(inputs, node.args[1:]):
                if isinstance(argument, ast.Name) and argument.id == arg_name and len(pattern.split()) == 1 \
                        and pattern.strip().isidentifier():
                    return f"`{node.args[0].value.strip()}`"
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == arg_name \
                and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2 \
                and isinstance(node.slice.elts[0], ast.Slice) and node.slice.elts[0].lower is None \
                and node.slice.elts[0].upper is None and isinstance(node.slice.elts[1], ast.Constant) \
                and node.slice.elts[1].value is None:
            return f"`{arg_name}[:, None]`"
    return ""


def unpacked_rank(forward, arg_name: str) -> int:
    """N when forward unpacks its argument's shape into N names (`b, c, t = x.shape`, or
    `x.size()`), which fixes the input's rank; else 0."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return 0
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple)):
            continue
        names = node.targets[0].elts
        value = node.value.func if isinstance(node.value, ast.Call) and not node.value.args else node.value
        if isinstance(value, ast.Attribute) and value.attr in ("shape", "size") \
                and (value.attr == "size") == isinstance(node.value, ast.Call) \
                and isinstance(value.value, ast.Name) and value.value.id == arg_name \
                and all(isinstance(n, ast.Name) for n in names):
            return len(names)
    for node in ast.walk(tree):  # `rearrange(x, 'b c h w -> b (h w) c')`: the left side's axes
        if isinstance(node, ast.Call) and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) \
                and node.args[0].id == arg_name and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str) and "->" in node.args[1].value \
                and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("rearrange", "repeat", "reduce"):
            left = node.args[1].value.split("->", 1)[0]
            if "..." not in left:
                return len(_AXIS.findall(left))
    return 0


def _part_rank(model) -> int:
    """The rank the first part forward applies to its input unpacks its own input to (hifi-gan's
    MultiPeriodDiscriminator loops over parts that each say `b, c, t = x.shape`); else 0."""
    order = forward_attribute_order(type(model))
    part = getattr(model, order[0], None) if order else None
    if part is not None and type(part).__name__ in ("ModuleList", "Sequential") and len(part):
        part = next(iter(part))  # not part[0]: `add_module("disc_0", ...)` names no index
    if part is None or type(part).__module__.startswith("torch.") or not hasattr(part, "forward"):
        return 0
    names = _forward_parameters(forward_function(type(part)))
    return unpacked_rank(forward_function(type(part)), names[0]) if names else 0


def _distinct(items: list, key=lambda item: item) -> list:
    unique, keys = [], []
    for item in items:
        if key(item) not in keys:
            unique.append(item)
            keys.append(key(item))
    return unique


def _other_input(model, name: str, first: Tuple, use: Any = None, dims: Sequence[int] = ()) -> List[Tuple]:
    """Inputs for a further forward argument, best first, by its name, sized after the first;
    `use`: the attribute forward first passes it to (argument_uses): a layer that tells its
    shape (`self.fc(z)` with a Linear) decides it, unless the name does (then it comes second).
    `dims`: the model's feature sizes, for a float input beside token ids (whisper's audio
    features `xa` beside its text tokens) or a vector beside an image."""
    shape, kind = first[0], first[1]
    lowered = name.lower()
    batch = shape[0] if shape else 2
    if isinstance(use, tuple):  # (attribute, position): what that part's forward does with it
        part = getattr(model, use[0], None)
        forward = forward_function(type(part)) if part is not None and hasattr(part, "named_children") \
            and not type(part).__module__.startswith("torch.") else None
        inner = _forward_parameters(forward) if forward is not None else []
        inner_use = argument_uses(forward).get(inner[use[1]]) if use[1] < len(inner) else None
        if isinstance(inner_use, str) and inner_use != "list":
            return _other_input(part, name, first, inner_use, dims)
        use = None
    layer = getattr(model, use, None) if isinstance(use, str) and use != "list" else None
    told = layer_inputs(layer) if layer is not None and type(layer).__module__.startswith("torch.nn") else None
    if not told and layer is not None and hasattr(layer, "named_children"):  # a block: its first layer
        found = first_layer(layer)  # says (guided-diffusion's `self.emb_layers(emb)`: SiLU, Linear)
        told = found[2] if found is not None else _linear_like(layer)
    by_layer = []
    if told and len(told[0]) == 1:
        (shape_told, kind_told, high_told), = told[0]
        by_layer = [((batch,) + tuple(shape_told[1:]), kind_told, high_told, None)]
    if _MASK_NAMES.search(lowered):
        keep = "pad" not in lowered
        if len(shape) >= 3 and kind == "float":  # (b, n) for a sequence; (b, 1, t) for vits' `x * x_mask`
            masks = [((batch, shape[1]), "bool", None, keep), ((batch, 1) + tuple(shape[2:]), "float", None, 1)]
        elif len(shape) == 2 and kind != "float":  # token ids: (b, n), or (b, 1, n) to broadcast over queries
            masks = [((batch, shape[1]), "bool", None, keep), ((batch, 1, shape[1]), "bool", None, keep)]
        else:
            masks = [((batch, shape[1]) if len(shape) >= 2 else (batch,), "bool", None, keep)]
        return masks + by_layer
    if _LENGTHS_NAMES.search(lowered) and len(shape) >= 2:
        # `x_lengths`, `input_lengths`: each sequence whole, along the time axis (b, c, t) or (b, n, ...)
        return _distinct([((batch,), "int64", None, shape[-1] if kind == "float" and len(shape) == 3 else shape[1]),
                          ((batch,), "int64", None, shape[1])]) + by_layer
    if _TIME_NAMES.match(lowered):
        return [((batch,), "int64", 10, None)] + by_layer + [((batch,), "float", None, None)] \
            + [((batch, dim), "float", None, None) for dim in dims[:1]]
    if _LABEL_NAMES.match(lowered):
        embedding = _first_of(model, ("Embedding",), largest=1000)
        labels = [((batch,), "int64", embedding.num_embeddings if embedding is not None else 10, None)]
        vector = [((batch, 4), "float", None, None)] if not by_layer and len(shape) >= 3 else []
        # `c`, a condition: a vector cat onto an image's channels (stargan's Generator(x, c))
        return (by_layer + labels if by_layer and by_layer[0][1] == "float" else labels + by_layer) + vector
    if by_layer:
        return by_layer
    if _TOKEN_NAMES.match(lowered):
        embedding = _first_of(model, ("Embedding",))
        return [((batch, shape[1] if len(shape) > 1 else 8), "int64",
                 embedding.num_embeddings if embedding is not None else 10, None)]
    same = [(shape, kind, first[2], None)]
    if kind != "float" and len(shape) == 2:  # beside token ids: features (b, n, dim)
        return same + [((batch, 8, dim), "float", None, None) for dim in dims[:1]]
    if kind == "float" and len(shape) >= 3:  # beside an image or a sequence: a vector (an embedding)
        return same + [((batch, dim), "float", None, None) for dim in dims[:1]]
    return same


def _linear_like(layer) -> Optional[List[Attempt]]:
    """A leaf module of the user's that applies `F.linear` to its 2-D `weight` (stylegan2's
    EqualLinear, the style's `self.modulation(style)`): its input is (batch, in_features); or
    `F.conv1d/2d/3d` to its (out, in, k...) weight (denoising-diffusion-pytorch's Karras
    Conv1d/Conv3d): (batch, in, 16...)."""
    weight = getattr(layer, "weight", None)
    dims = getattr(weight, "dim", lambda: 0)()
    if list(layer.children()) or dims not in (2, 3, 4, 5) or type(layer).__module__.startswith("torch."):
        return None
    try:
        source = inspect.getsource(forward_function(type(layer)))
    except (OSError, TypeError):
        return None
    if dims == 2:
        return [[((2, weight.shape[1]), "float", None)], [((2, 8, weight.shape[1]), "float", None)]] \
            if "linear(" in source else None
    spatial = dims - 2
    if f"conv{spatial}d(" not in source:
        return None
    return [[((2, weight.shape[1]) + (size,) * spatial, "float", None)] for size in _SIZES[spatial][:3]]


def _first_of(model, class_names, largest: Optional[int] = None):
    for module in model.modules():
        if type(module).__name__ in class_names or any(c.__name__ in class_names for c in type(module).__mro__):
            if largest is None or getattr(module, "num_embeddings", 0) <= largest:
                return module
    return None


def _guessed(built: dict, pattern: str) -> Optional[int]:
    for key, value in built.items():
        if re.search(pattern, key.lower()) and isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _image_sizes(model, built: dict) -> List[int]:
    """Image sizes the model declares (an `image_size` attribute or argument), else none."""
    sizes = []
    for source in (built, vars(model)):
        for key, value in source.items():
            if re.search(r"^(image|img|input)_?(size|res|resolution|shape)$", key.lower()):
                if isinstance(value, (tuple, list)) and value and isinstance(value[-1], int):
                    value = value[-1]
                if isinstance(value, int) and not isinstance(value, bool) and value not in sizes:
                    sizes.append(value)
    return sizes


_LENGTH_NAMES = re.compile(r"block_size|max_seq_len|seq_len|max_len|n_ctx|context_length|n_positions|"
                           r"sequence_length|seq_length|max_seq_length|num_patches|max_position_embeddings")
_POSITION_NAMES = re.compile(r"pos|position")


def _declared_lengths(model, built: dict) -> List[int]:
    """Sequence lengths the model's arguments, attributes or config name (`block_size`,
    `sequence_length`...), in that order."""
    config = getattr(model, "config", None)
    lengths = []
    for source in (built, vars(model), vars(config) if hasattr(config, "__dict__") else {}):
        for key, value in source.items():
            if _LENGTH_NAMES.search(key.lower()) and isinstance(value, int) and not isinstance(value, bool) \
                    and value > 0 and value not in lengths:
                lengths.append(value)
    return lengths


def _sequence_length(model, built: dict) -> int:
    """A token sequence length for token ids: 8, or less when the model allows less."""
    lengths = _declared_lengths(model, built)
    return max(1, min(8, min(lengths))) if lengths else 8


def _sequence_lengths(model, built: dict) -> List[int]:
    """Exact lengths a (batch, length, dim) input may need: the declared ones, then those of a
    positional embedding that forward may add whole ((1, n, dim) or (n, dim); n - 1 when it
    holds a class token too). Up to 1024: a longer table is one that forward slices."""
    lengths = _declared_lengths(model, built)
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        if _POSITION_NAMES.search(name.rsplit(".", 1)[-1].lower()) and tensor.dim() in (2, 3) \
                and (tensor.dim() == 2 or tensor.shape[0] == 1):
            n = int(tensor.shape[-2])
            lengths += [m for m in (n, n - 1) if m > 0 and m not in lengths]
    return [n for n in lengths if n != 8 and n <= 1024][:3]


def _model_dims(model, built: dict) -> List[int]:
    """Feature sizes the model is made of: its dim-like arguments, then its 1-D parameters'."""
    dims = []
    for key, value in built.items():
        if re.search(r"dim|d_model|hidden|features|width|embd|embed|size$", key.lower()) and \
                isinstance(value, int) and not isinstance(value, bool) and value > 1 and value not in dims:
            dims.append(value)
    for param in model.parameters():
        if param.dim() == 1 and param.shape[0] > 1 and param.shape[0] not in dims:
            dims.append(int(param.shape[0]))
    return dims


def guess_shapes(model, names: Sequence[str], built: dict) -> List[Tuple[List[int], str, Optional[int]]]:
    """(shape, dtype, high) for the hint's `inputs`, one per forward argument, of the model's
    kind: an image for a model that starts with a convolution or takes `img`, token ids for
    `idx`/`tokens`, a (batch, sequence, dim) tensor otherwise."""
    from torch import nn

    shapes: List[Tuple[List[int], str, Optional[int]]] = []
    for name in names:
        lowered = name.lower()
        if not shapes and model is not None and (_TOKEN_NAMES.match(lowered) or isinstance(
                _first_layer_of(model), nn.Embedding)):
            embedding = _first_of(model, ("Embedding",))
            shapes.append(([2, 8], "int64", embedding.num_embeddings if embedding is not None else 64))
        elif _IMAGE_NAMES.match(lowered) or not shapes and model is not None and isinstance(
                _first_layer_of(model), (nn.Conv2d, nn.ConvTranspose2d)):
            size = (_image_sizes(model, built) if model is not None else []) or [32]
            layer = _first_layer_of(model) if model is not None else None
            channels = getattr(layer, "in_channels", None) or _guessed(built, r"channels|chans|^c$|in_ch") or 3
            shapes.append(([2, channels, size[0], size[0]], "float32", None))
        elif _MASK_NAMES.search(lowered):
            shapes.append(([2, 8], "bool", None))
        elif _TIME_NAMES.match(lowered) or _LABEL_NAMES.match(lowered):
            shapes.append(([2], "int64", 10))
        else:
            dims = _model_dims(model, built) if model is not None else []
            shapes.append(([2, 8, dims[0]] if dims else [2, 16], "float32", None))
    return shapes


def _first_layer_of(model):
    found = first_layer(model)
    return found[1] if found is not None else None


def _forward_parameters(forward) -> List[str]:
    try:
        params = list(inspect.signature(forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return ["x"]
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]


def _float_dtype(model) -> str:
    for param in model.parameters():
        if param.is_floating_point():
            return str(param.dtype).replace("torch.", "")
    return "float32"


# small first (a forward is cheap there), then sizes that survive several downsamplings (UNets)
_SIZES = {1: (16, 32, 64, 128, 28), 2: (16, 32, 64, 28, 128, 224, 256), 3: (8, 16, 32)}


def layer_inputs(layer, following=None) -> Optional[List[Attempt]]:
    """Candidate inputs for a torch layer met first in a model, or None if it does not tell.
    `following`: the layer after it in its Sequential (an einops Rearrange's next layer tells
    the size of what it makes)."""
    from torch import nn

    if isinstance(layer, nn.Linear) and not isinstance(layer, getattr(nn, "LazyLinear", ())):
        return [[((2, layer.in_features), "float", None)], [((2, 8, layer.in_features), "float", None)]]
    if isinstance(layer, nn.Bilinear):
        return [[((2, layer.in1_features), "float", None), ((2, layer.in2_features), "float", None)]]
    for dims, classes in ((1, (nn.Conv1d, nn.ConvTranspose1d)), (2, (nn.Conv2d, nn.ConvTranspose2d)),
                          (3, (nn.Conv3d, nn.ConvTranspose3d))):
        if isinstance(layer, classes) and layer.in_channels:
            return [[((2, layer.in_channels) + (size,) * dims, "float", None)] for size in _SIZES[dims]]
    if isinstance(layer, (nn.Embedding, nn.EmbeddingBag)):
        return [[((2, 8), "int64", layer.num_embeddings)]]
    if isinstance(layer, nn.RNNBase):
        shape = (2, 8, layer.input_size) if layer.batch_first else (8, 2, layer.input_size)
        return [[(shape, "float", None)]]
    if isinstance(layer, nn.TransformerEncoder) and len(layer.layers):
        layer = layer.layers[0]
    if isinstance(layer, (nn.TransformerEncoderLayer, nn.MultiheadAttention)):
        attention = layer.self_attn if isinstance(layer, nn.TransformerEncoderLayer) else layer
        d_model = attention.embed_dim
        shape = (2, 8, d_model) if attention.batch_first else (8, 2, d_model)
        if isinstance(layer, nn.MultiheadAttention):
            return [[(shape, "float", None)] * 3]
        return [[(shape, "float", None)]]
    if isinstance(layer, nn.LayerNorm) and layer.normalized_shape:
        shape = tuple(layer.normalized_shape)
        return [[((2, 8) + shape, "float", None)], [((2,) + shape, "float", None)]]
    for dims, classes in ((1, (nn.BatchNorm1d,)), (2, (nn.BatchNorm2d, nn.InstanceNorm2d)),
                          (3, (nn.BatchNorm3d, nn.InstanceNorm3d))):
        if isinstance(layer, classes) and layer.num_features:
            spatial = {1: (), 2: (32, 32), 3: (8, 8, 8)}[dims]
            attempts = [[((2, layer.num_features) + spatial, "float", None)]]
            if dims == 1:
                attempts.append([((2, layer.num_features, 16), "float", None)])
            return attempts
    if isinstance(layer, nn.GroupNorm) and layer.num_channels:
        return [[((2, layer.num_channels, 32, 32), "float", None)], [((2, layer.num_channels, 16), "float", None)]]
    if type(layer).__name__ == "Rearrange" and isinstance(getattr(layer, "pattern", None), str):
        return rearrange_inputs(layer.pattern, dict(getattr(layer, "axes_lengths", {}) or {}), following)
    return None


_AXIS = re.compile(r"\(([^)]*)\)|(\.\.\.|\w+)")


def rearrange_inputs(pattern: str, lengths: Dict[str, int], following=None) -> Optional[List[Attempt]]:
    """Inputs an einops `Rearrange(pattern, **lengths)` accepts: the left side's axes with the
    known lengths, unknown ones sized so that composed axes reach 32 / 64 / 16 (an image), and a
    channel axis solved from the next layer's input size when the right side composes it."""
    if "->" not in pattern:
        return None
    left, right = (side.strip() for side in pattern.split("->", 1))
    groups = [(m.group(1).split() if m.group(1) is not None else [m.group(2)]) for m in _AXIS.finditer(left)]
    if not groups or any("..." in g for g in groups):
        return None
    lengths = dict(lengths)
    width = _in_features(following)
    if width:  # `(p1 p2 c)` on the right made for a Linear/LayerNorm of `width`: solve c
        for match in _AXIS.finditer(right):
            if match.group(1) is None:
                continue
            axes = match.group(1).split()
            unknown = [a for a in axes if a not in lengths]
            known = 1
            for axis in axes:
                known *= lengths.get(axis, 1)
            if len(unknown) == 1 and width % known == 0 and all(
                    any(u in g and len(g) == 1 for g in groups) for u in unknown):
                lengths[unknown[0]] = width // known
    attempts = []
    for target in (32, 64, 16, 224):
        shape = []
        for index, group in enumerate(groups):
            if len(group) == 1:
                axis = group[0]
                if axis in lengths:
                    shape.append(lengths[axis])
                elif index == 0:
                    shape.append(2)
                elif axis in ("c", "ch", "channels"):
                    shape.append(3)
                else:
                    shape.append(8 if len(groups) <= 3 else target)
            else:
                known = 1
                for axis in group:
                    known *= lengths.get(axis, 1)
                unknown = [a for a in group if a not in lengths]
                shape.append(known * max(1, target // known) if unknown else known)
        attempt = [(tuple(shape), "float", None)]
        if attempt not in attempts:
            attempts.append(attempt)
    return attempts


def _in_features(layer) -> Optional[int]:
    if layer is None:
        return None
    from torch import nn

    if isinstance(layer, nn.Linear):
        return layer.in_features
    if isinstance(layer, nn.LayerNorm) and layer.normalized_shape:
        return int(layer.normalized_shape[-1])
    return None


def forward_attribute_order(cls: type) -> List[str]:
    """The `self.<name>` attributes `cls.forward` uses, those applied to its input first: a
    walk of forward's statements in order, each expression inside out (in `self.fc(self.conv(x))`
    conv comes first), following the input through assignments and `for layer in self.layers`,
    and into the class's own methods it is passed to (`mu, log_var = self.encode(x)`: what
    encode applies to it comes first)."""
    forward = getattr(cls, "forward", None)
    if forward is None or getattr(forward, "__module__", "").startswith("torch."):
        return []
    fed, mentioned = _attribute_order(cls, forward, {0}, 0)
    return fed + [name for name in mentioned if name not in fed]


def _attribute_order(cls: type, method, inputs: set, depth: int) -> Tuple[List[str], List[str]]:
    """(attributes applied to the input, attributes mentioned) in `method`'s body, in order;
    `inputs`: the positions (past self) of the parameters that hold the input."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return [], []
    func = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if func is None or not func.args.args:
        return [], []
    params = [a.arg for a in func.args.posonlyargs + func.args.args]
    self_name = params[0]
    tainted = {name for index, name in enumerate(params[1:]) if index in inputs} \
        | ({func.args.vararg.arg} if func.args.vararg and depth == 0 else set())
    loop_vars: Dict[str, str] = {}  # `for layer in self.layers`: layer -> layers
    fed: List[str] = []  # applied to the input (or what came of it)
    mentioned: List[str] = []

    def attr_of(node) -> Optional[str]:
        if isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == self_name:
            return node.attr
        if isinstance(node, ast.Name):
            return loop_vars.get(node.id)
        return None

    def uses_input(node) -> bool:
        return any(isinstance(n, ast.Name) and n.id in tainted for n in ast.walk(node))

    def visit(node) -> None:
        for child in ast.iter_child_nodes(node):  # inside out: arguments before the call
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                visit(child)
        if isinstance(node, ast.Call):
            name = attr_of(node.func)
            own = getattr(cls, name, None) if name is not None and isinstance(node.func, ast.Attribute) else None
            if inspect.isfunction(own) and depth < 3 and name not in ("forward", method.__name__):
                # the class's own method: what it applies to the input, in its place
                given = {i for i, a in enumerate(node.args) if uses_input(a)}
                inner_fed, inner_mentioned = _attribute_order(cls, own, given, depth + 1) if given else ([], [])
                fed.extend(n for n in inner_fed if n not in fed)
                mentioned.extend(n for n in inner_mentioned if n not in mentioned)
            elif name is not None:
                if name not in mentioned:
                    mentioned.append(name)
                if name not in fed and any(uses_input(a) for a in list(node.args) + [k.value for k in node.keywords]):
                    fed.append(name)
        elif isinstance(node, ast.Attribute):
            name = attr_of(node)
            if name is not None and name not in mentioned:
                mentioned.append(name)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None \
                and uses_input(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            tainted.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))

    def statements(body) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.For, ast.AsyncFor)):
                name = attr_of(stmt.iter if not isinstance(stmt.iter, ast.Call) else stmt.iter.func)
                if name is None and isinstance(stmt.iter, ast.Call) and stmt.iter.args:
                    name = attr_of(stmt.iter.args[0])  # enumerate(self.layers), zip(...)
                if name is not None:
                    for target in ast.walk(stmt.target):
                        if isinstance(target, ast.Name):
                            loop_vars[target.id] = name
                visit(stmt.iter)
                statements(stmt.body)
                statements(stmt.orelse)
            elif isinstance(stmt, (ast.If, ast.While)):
                visit(stmt.test)
                statements(stmt.body)
                statements(stmt.orelse)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    visit(item.context_expr)
                statements(stmt.body)
            elif isinstance(stmt, ast.Try):
                statements(stmt.body)
            elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(stmt)

    statements(func.body)
    return fed, mentioned


def first_layer(model, depth: int = 0, prefix: str = ""):
    """(path, layer, attempts) of the first layer with a known input: the first one forward
    uses (a module held in a plain list or dict counts: that is the bug the run may show), else
    the first registered submodule, looking into containers and custom blocks."""
    from torch import nn
    children = dict(model.named_children())
    candidates: List[Tuple[str, Any]] = []
    for attr in forward_attribute_order(type(model)):
        value = children.get(attr, model.__dict__.get(attr))
        if isinstance(value, nn.Module):
            candidates.append((attr, value))
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], nn.Module):
            candidates.append((f"{attr}[0]", value[0]))
        elif isinstance(value, dict) and value and isinstance(next(iter(value.values())), nn.Module):
            key = next(iter(value))
            candidates.append((f"{attr}[{key!r}]", value[key]))
    seen = {id(v) for _, v in candidates}
    candidates += [(n, c) for n, c in children.items() if id(c) not in seen]
    siblings = list(children.values())
    for attr, child in candidates:
        path = f"{prefix}.{attr}" if prefix else attr
        following = None
        if isinstance(model, nn.Sequential) and child in siblings:
            index = next(i for i, s in enumerate(siblings) if s is child)
            following = siblings[index + 1] if index + 1 < len(siblings) else None
        attempts = layer_inputs(child, following) or _linear_like(child)
        if attempts is not None:
            return path, child, attempts
        if depth < 6 and len(child._modules):
            found = first_layer(child, depth + 1, path)
            if found is not None:
                return found
    return None


_INPUT_ERROR = re.compile(
    r"shape|size|dimension|\bdims?\b|mat1|mat2|expected|out of range|must match|channels?|"
    r"index|indices|dtype|scalar type|input type|positional argument|unexpected keyword|broadcast|\b\d+-?D\b|"
    r"divisible|einops|unpack|axis|axes|length|should be between 0 and 1",
    re.IGNORECASE)
# errors no guess of ours explains: the code's own, whatever the input (`.view` on a tensor that
# `permute` or `expand` left non-contiguous)
_MODEL_ERROR = re.compile(r"view size is not compatible with input tensor's size and stride")
# libraries whose every error is about the shapes or types they were given (einx's RankError
# derives from Exception only)
_SHAPE_CHECKERS = {"einops", "einx", "jaxtyping", "beartype", "typeguard"}
_GUESSABLE = (AssertionError, RuntimeError, ValueError, IndexError, TypeError, KeyError, ZeroDivisionError,
              NotImplementedError, AttributeError)


def looks_like_input_error(exc: BaseException, strict: bool = False, guessed: bool = False) -> bool:
    """Whether an error of a forward on an inferred input may just mean the guess was wrong.
    `strict`: the constructor's arguments were not configured, so any error of the usual kinds
    may be ours; `guessed`: they were guessed, so even an error no input explains may be
    (a view of a permuted tensor fails or not by the sizes: tacotron2's `n_frames_per_step`)."""
    from nnlint.verify.checks import error_kind

    if error_kind(exc, "forward") != "forward_error" or _MODEL_ERROR.search(str(exc)) and not guessed:
        return False  # missing forward, in-place on a leaf, a view of a permuted tensor: not about the input
    if isinstance(exc, AssertionError) or type(exc).__module__.split(".")[0] in _SHAPE_CHECKERS:
        return True
    if strict and isinstance(exc, _GUESSABLE):
        return True
    return isinstance(exc, (RuntimeError, ValueError, IndexError, TypeError, NotImplementedError)) and bool(
        _INPUT_ERROR.search(str(exc)))


class Rejected(Exception):
    """Every inferred input failed the way a wrong guess does (carries the last error)."""

    def __init__(self, error: Optional[BaseException], shapes: str):
        super().__init__(str(error))
        self.error, self.shapes = error, shapes


def try_inputs(model, inputs: Inputs, strict: bool = False, guessed: bool = False) -> Tuple[tuple, dict]:
    """For inferred inputs, the first attempt that a forward in train mode and one in eval mode
    (no grad) both accept: the checks run both, and a model may take a wrong input in one mode
    only (a patch dropout that returns its input untouched in eval, a batch norm that needs
    more than one value per channel in training). Rejected when every attempt fails in a way a
    wrong guess explains (`strict`, `guessed`: as looks_like_input_error). Configured inputs
    are used as given."""
    if not inputs.inferred and not strict:
        return inputs.attempts[0]
    import torch
    was_training = model.training
    first_error: Optional[BaseException] = None
    fitted: Optional[Tuple[int, int]] = None  # (axis, how many less): what a layer's error said (learnt once)
    rounds = [0] * len(inputs.attempts)  # per attempt: how many repairs led to it
    repairs = 0
    too_small: Tuple[int, ...] = ()  # the spatial size of a first input an error said was too small
    try:
        index = 0
        while index < len(inputs.attempts):
            args, kwargs = inputs.attempts[index]
            if too_small and _no_larger(args, too_small):
                index += 1  # an error said a larger image than this one was too small
                continue
            if fitted:
                args = _fewer_features(args, *fitted) or args
                inputs.attempts[index] = (args, kwargs)
            inputs.chosen = index
            try:
                for training in (True, False):
                    model.train(training)
                    with torch.no_grad():
                        model(*args, **kwargs)
                return args, kwargs
            except Exception as exc:
                if not looks_like_input_error(exc, strict, guessed) or not inputs.inferred and not strict:
                    return args, kwargs  # a real failure: the checks will report it
                first_error = first_error or exc  # the best guess's error says the most
                if _SMALL_ERROR.search(str(exc)) and args and getattr(args[0], "dim", lambda: 0)() >= 3:
                    too_small = tuple(args[0].shape[2:])
                told = _too_many(exc, args) if inputs.inferred and not fitted else None
                if told is not None and _fewer_features(args, *told):
                    # `cat((x, z), 1)` into a convolution, `cat((noise, self.label_emb(labels)), -1)`
                    # into a Linear: x has the features the other input does not; the same
                    # attempt again, and every later one, with x's fitted
                    fitted = told
                    if inputs.hows:
                        inputs.hows[index:] = [how + ", features fitted to the first layer" for how in inputs.hows[index:]]
                    continue
                repaired = _repaired(model, exc, (args, kwargs)) \
                    if inputs.inferred and rounds[index] < MAX_ROUNDS and repairs < MAX_REPAIRS else None
                if repaired is not None and _shapes(repaired[0]) == _shapes((args, kwargs)):
                    # the same shapes with other values (ids below the size an index error says): again
                    repairs += 1
                    rounds[index] += 1
                    inputs.attempts[index] = repaired[0]
                    if inputs.hows:
                        inputs.hows[index] = f"{inputs.hows[index]}, {repaired[1]}"
                    continue
                later = next((j for j in range(index + 1, len(inputs.attempts)) if repaired is not None
                              and _shapes(repaired[0]) == _shapes(inputs.attempts[j])), None)
                if later is not None:  # a guess further down: it comes next, as the error says
                    del inputs.attempts[later], rounds[later]
                    if inputs.hows:
                        del inputs.hows[later]
                if repaired is not None and all(_shapes(repaired[0]) != _shapes(a) for a in inputs.attempts):
                    # the error says what the input should have been: that next, then the other guesses
                    repairs += 1
                    hows = inputs.hows or [inputs.how] * len(inputs.attempts)
                    how = hows[index] if hows[index].endswith(f", {repaired[1]}") else f"{hows[index]}, {repaired[1]}"
                    inputs.hows = hows[:index + 1] + [how] + hows[index + 1:]
                    inputs.attempts.insert(index + 1, repaired[0])
                    rounds.insert(index + 1, rounds[index] + 1)
            index += 1
    finally:
        model.train(was_training)
    raise Rejected(first_error, describe_inputs(inputs.attempts[0]))


_CHANNELS_ERROR = re.compile(r"expected input\[[\d, ]+\] to have (\d+) channels, but got (\d+) channels")
_MATMUL_ERROR = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")


def _too_many(exc: BaseException, args: tuple) -> Optional[Tuple[int, int]]:
    """(axis, how many) features too many the first argument had when it was joined with
    another input into the layer it was shaped for, as a convolution's (axis 1) or a Linear's
    (last axis; a 2-D input) error says; None for any other error (a layer deeper in)."""
    import torch

    first = args[0] if args else None
    if not isinstance(first, torch.Tensor):
        return None
    found = _CHANNELS_ERROR.search(str(exc))
    if found is not None and first.dim() >= 3 and first.shape[1] == int(found.group(1)):
        return 1, int(found.group(2)) - int(found.group(1))
    found = _MATMUL_ERROR.search(str(exc))
    if found is not None and first.dim() == 2 and first.shape[0] == int(found.group(1)) \
            and first.shape[1] == int(found.group(3)):
        return -1, int(found.group(2)) - int(found.group(3))
    return None


MAX_ROUNDS = 3  # repairs in a row from one guess (a rank, then the channels the layer wants...)
MAX_REPAIRS = 4  # repairs in all, for one model (each costs up to two forwards)
_RANK_ERROR = re.compile(r"Expected (\d+)D \(unbatched\) or (\d+)D \(batched\) input to \w+, "
                         r"but got input of size: \[([\d, ]+)\]")
_UNPACK_ERROR = re.compile(r"(not enough|too many) values to unpack \(expected (\d+)(?:, got (\d+))?\)")
_NORM_ERROR = re.compile(r"expected input with shape \[\*, ([\d, ]+)\], but got input of size\s*\[([\d, ]+)\]")
_EINOPS_RANK_ERROR = re.compile(r"Input tensor shape: torch\.Size\(\[([\d, ]+)\]\).*Wrong shape: expected (\d+) dims",
                                re.DOTALL)
_BROADCAST_ERROR = re.compile(r"The size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) "
                              r"at non-singleton dimension (\d+)")
_SPLIT_ERROR = re.compile(r"split_with_sizes expects split_sizes to sum exactly to (\d+) \(input tensor's size at "
                          r"dimension (-?\d+)\), but got split_sizes=\[([\d, ]+)\]")
_BOUNDS_ERROR = re.compile(r"index \d+ is out of bounds for dimension \d+ with size (\d+)")
_EINOPS_SIZE_ERROR = re.compile(r'pattern "([^"]*)"\.\s*Input tensor shape: torch\.Size\(\[([\d, ]+)\]\)\.\s*Additional '
                                r"info: (\{[^}]*\})\.\s*Shape mismatch, (?:(\d+) != (\d+)|can't divide axis of length "
                                r"(\d+) in chunks of (\d+))", re.DOTALL)
_SMALL_ERROR = re.compile(r"Kernel size can't be greater than actual input size|Output size is too small|"
                          r"smaller than kernel size|Padding size should be less than the corresponding input")
LARGEST_REPAIR = 1 << 21  # values in an input a repair may make (2 x 3 x 512 x 512 is 1.5 M)
_PROBABILITY_ERROR = re.compile(r"all elements of (input|target) should be between 0 and 1")
_INDEX_ERROR = re.compile(r"tensors used as indices must be long|'indices' to have one of the following scalar types")


def _repaired(model, exc: BaseException, attempt: Tuple[tuple, dict]) -> Optional[Tuple[Tuple[tuple, dict], str]]:
    """The attempt as a layer's or forward's error says it should have been, and what changed:
    a convolution's channels or rank, a Linear's or LayerNorm's features, the rank a
    `b, c, h, w = x.shape` unpacks or an einops pattern expects, the size a broadcast wants
    along an axis, the whole a split's sizes add up to, token ids where floats were used as
    indices. The input changed is the one the error's shape names (the
    first that fits); None when the error names none of them."""
    import torch

    args, kwargs = attempt
    values = list(args) + list(kwargs.values())
    floats = [i for i, v in enumerate(values) if isinstance(v, torch.Tensor) and v.is_floating_point()]
    message = str(exc)
    shape = new = None

    def find(test) -> Optional[int]:
        return next((i for i in floats if test(tuple(values[i].shape))), None)

    found = _CHANNELS_ERROR.search(message)
    if found is not None:
        rank = found.group(0).split("]", 1)[0].count(",") + 1
        want, got = int(found.group(1)), int(found.group(2))
        at = find(lambda s: len(s) == rank and s[1] == got)
        if at is not None:
            shape = tuple(values[at].shape)
            new, note = shape[:1] + (want,) + shape[2:], f"{want} channels as the layer says"
        images = [i for i in floats if values[i].dim() == rank]
        counts = {values[i].shape[1] for i in images}
        if at is None and len(images) > 1 and len(counts) == 1 and got % next(iter(counts)) == 0 \
                and want * next(iter(counts)) % got == 0:
            # `cat((d0, d1, d0 - d1, d0 / d1), 1)` into the layer: the inputs alike, `got // c` parts of
            # c channels each, so c as many less as the layer takes less
            count = want * next(iter(counts)) // got
            for i in images:
                values[i] = torch.randn((values[i].shape[0], count) + tuple(values[i].shape[2:]), dtype=values[i].dtype)
            return _split(values, len(args), kwargs), f"{count} channel{'s' if count > 1 else ''} each as the layer's {want} say"
    found = _RANK_ERROR.search(message) if shape is None else None
    if found is not None:
        batched, given = int(found.group(2)), tuple(int(n) for n in found.group(3).split(","))
        at = find(lambda s: s == given)
        if at is not None and len(given) >= 2:
            shape = given
            new, note = given[:2] + (8 if batched > 4 else 16,) * (batched - 2), f"as {batched}-D as the layer says"
    found = _UNPACK_ERROR.search(message) if shape is None else None
    if found is None and shape is None:
        found = _EINOPS_RANK_ERROR.search(message)
    if found is not None:  # `b, c, t, h, w = shape`, `rearrange(x, 'b d n -> b n d')` deeper in
        einops = found.re is _EINOPS_RANK_ERROR
        want = int(found.group(2))
        got = tuple(int(n) for n in found.group(1).split(",")) if einops else \
            (int(found.group(3)) if found.group(3) else None)
        # token ids too: `B, K, T = indices.shape` (encodec's LMModel)
        tensors = [i for i, v in enumerate(values) if isinstance(v, torch.Tensor) and v.dim() >= 1]
        at = next((i for i in tensors if (tuple(values[i].shape) == got if einops else
                                          values[i].dim() == got if got else values[i].dim() > want)), None)
        if at is not None and 2 <= want <= 5:
            shape = tuple(values[at].shape)
            new = (shape[0], shape[-1]) if want == 2 else shape[:2] + (16 if want < 5 else 8,) * (want - 2)
            note = f"as {want}-D as " + ("an einops pattern says" if einops else "forward unpacks it")
    found = _MATMUL_ERROR.search(message) if shape is None else None
    if found is not None:
        rows, got, want = int(found.group(1)), int(found.group(2)), int(found.group(3))
        at = find(lambda s: len(s) >= 2 and s[-1] == got and math.prod(s[:-1]) == rows)
        if at is not None:
            shape = tuple(values[at].shape)
            new, note = shape[:-1] + (want,), f"{want} features as the layer says"
    if found is not None and shape is None:  # flattened deeper in, after convolutions and pooling
        at = next((i for i in floats if values[i].dim() >= 3 and values[i].shape[0] == rows), None)
        fit = _flatten_fit(model, tuple(values[at].shape), got, want) if at is not None else None
        if fit is not None:  # every input shaped alike (two images through the same layers) resized
            shape, (new, note) = tuple(values[at].shape), fit
            for i in floats:
                if tuple(values[i].shape) == shape:
                    values[i] = torch.randn(new, dtype=values[i].dtype)
            return _split(values, len(args), kwargs), note
    found = _BROADCAST_ERROR.search(message) if shape is None else None
    if found is not None:  # `x * self.gamma` with gamma (dim,): the input's axis gets the model's size
        sizes, axis = (int(found.group(1)), int(found.group(2))), int(found.group(3))
        at = find(lambda s: axis < len(s) and s[axis] in sizes and axis > 0)
        if at is not None:
            shape = tuple(values[at].shape)
            want = sizes[1] if shape[axis] == sizes[0] else sizes[0]
            new, note = shape[:axis] + (want,) + shape[axis + 1:], f"{want} along axis {axis} as a broadcast says"
    found = _NORM_ERROR.search(message) if shape is None else None
    if found is not None:
        normalized = tuple(int(n) for n in found.group(1).split(","))
        given = tuple(int(n) for n in found.group(2).split(","))
        at = find(lambda s: s == given)
        if at is not None and len(given) > len(normalized):
            shape = given
            new, note = given[:len(given) - len(normalized)] + normalized, "features as the norm says"
    found = _SPLIT_ERROR.search(message) if shape is None else None
    if found is not None:  # `torch.split(x, [half] * 2, 1)`: the sizes say the whole
        whole, axis = int(found.group(1)), int(found.group(2))
        at = find(lambda s: -len(s) <= axis < len(s) and s[axis] == whole)
        if at is not None:
            shape = tuple(values[at].shape)
            new = list(shape)
            new[axis] = sum(int(n) for n in found.group(3).split(","))
            new, note = tuple(new), f"{new[axis]} along axis {axis} as a split says"
    found = _EINOPS_SIZE_ERROR.search(message) if shape is None else None
    if found is not None:  # `rearrange(x, 'b (h w) c -> b c h w', h=h, w=w)`: the length the axes make
        given = tuple(int(n) for n in found.group(2).split(","))
        at = find(lambda s: s == given)
        fixed = _einops_length(found, given) if at is not None else None
        if fixed is not None:
            shape, (new, note) = given, fixed
    if shape is None and _SMALL_ERROR.search(message):  # a kernel or pooling window larger than what is left
        images = [i for i in floats if values[i].dim() >= 3]
        spatial = tuple(values[images[0]].shape[2:]) if images else ()
        made = tuple(values[images[0]].shape[:2]) + tuple(2 * n for n in spatial) if images else ()
        if images and math.prod(made) <= LARGEST_REPAIR:
            for i in images:
                if tuple(values[i].shape[2:]) == spatial:
                    values[i] = torch.randn(tuple(values[i].shape[:2]) + made[2:], dtype=values[i].dtype)
            return _split(values, len(args), kwargs), "larger, as an error said the input was too small"
    if shape is None and _INDEX_ERROR.search(message) and floats:
        at = next((i for i in floats if values[i].dim() == 1), floats[-1])  # labels (b,), else the last
        embedding = _first_of(model, ("Embedding", "EmbeddingBag"))
        high = embedding.num_embeddings if embedding is not None else 2
        values[at] = make_tensor(tuple(values[at].shape), "int64", high)
        return _split(values, len(args), kwargs), f"token ids as the index says (below {high})"
    if shape is None and _PROBABILITY_ERROR.search(message):  # BCELoss's target (or input) from randn
        outside = [i for i in floats if values[i].numel() and (values[i].min() < 0 or values[i].max() > 1)]
        if outside:
            for i in outside:
                values[i] = torch.rand_like(values[i])
            return _split(values, len(args), kwargs), "values between 0 and 1 as the loss says"
    found = _BOUNDS_ERROR.search(message) if shape is None else None
    if found is not None:  # labels as indices (`out[idx, y]`) below a size the model has (num_domains)
        size = int(found.group(1))
        at = next((i for i, v in enumerate(values) if isinstance(v, torch.Tensor) and not v.is_floating_point()
                   and v.dtype != torch.bool and v.numel() and int(v.max()) >= size >= 1), None)
        if at is not None:
            values[at] = make_tensor(tuple(values[at].shape), str(values[at].dtype).replace("torch.", ""), size)
            return _split(values, len(args), kwargs), f"ids below {size} as the index says"
    if shape is None or new == shape or min(new) < 1:
        return None
    value = values[at]
    values[at] = torch.randn(new, dtype=value.dtype) if value.is_floating_point() else \
        make_tensor(new, str(value.dtype).replace("torch.", ""), int(value.max()) + 1)
    return _split(values, len(args), kwargs), note


def _flatten_fit(model, shape: Tuple[int, ...], got: int, want: int) -> Optional[Tuple[Tuple[int, ...], str]]:
    """The input shape whose features, flattened after the model's convolutions and pooling
    (`x.view(b, -1)` into `nn.Linear(128 * 7 * 7, 1)`), are the `want` a Linear takes where
    `got` came: the spatial axes scaled by the d-th root of want / got (d of them: the input
    downsampled by a fixed factor keeps its features in proportion to the area or volume);
    else the channels scaled (an image flattened whole into an MLP), or 1 or 3 channels with
    the spatial size that fits. None when no whole size fits."""
    from torch import nn

    if got < 1 or want < 1 or len(shape) < 3:
        return None
    ratio = Fraction(want, got)
    if len(shape) > 3 or any(isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.MaxPool1d, nn.AvgPool1d))
                             for m in model.modules()):
        axes = list(range(2, len(shape)))  # (b, c, t), (b, c, h, w), (b, c, t, h, w)
    else:
        axes = [1]  # (b, n, dim): the length
    channels = axes[0] == 2

    def scaled(base: Tuple[int, ...], by: Fraction) -> Optional[Tuple[int, ...]]:
        root = _rational_root(by, len(axes))
        if root is None:
            return None
        new = list(base)
        for axis in axes:
            size = base[axis] * root
            if size.denominator != 1 or not 1 <= size <= 1024:
                return None
            new[axis] = int(size)
        return tuple(new) if math.prod(new) <= LARGEST_REPAIR else None

    sizes = lambda new: " x ".join(str(new[axis]) for axis in axes)  # noqa: E731
    new = scaled(shape, ratio)
    if new is not None:
        return new, f"{sizes(new)} as the flattened features say ({want}, not {got})"
    if not channels:
        return None
    if (shape[1] * ratio).denominator == 1:
        new = shape[:1] + (int(shape[1] * ratio),) + shape[2:]
        return new, f"{new[1]} channels as the flattened features say ({want}, not {got})"
    for count in (1, 3):
        new = scaled(shape[:1] + (count,) + shape[2:], ratio * Fraction(shape[1], count))
        if new is not None and count != shape[1]:
            return new, f"{count} channels of {sizes(new)} as the flattened features say ({want}, not {got})"
    return None


def _rational_root(value: Fraction, degree: int) -> Optional[Fraction]:
    """The rational number whose `degree`-th power is `value`, or None."""

    def whole_root(n: int) -> Optional[int]:
        root = round(n ** (1 / degree))
        return next((r for r in (root - 1, root, root + 1) if r >= 0 and r ** degree == n), None)

    top, bottom = whole_root(value.numerator), whole_root(value.denominator)
    return Fraction(top, bottom) if top is not None and bottom else None


def _einops_length(found, given: Tuple[int, ...]) -> Optional[Tuple[Tuple[int, ...], str]]:
    """The input shape an einops pattern's lengths want, from its "Shape mismatch" error: the
    axis whose known lengths make another size (a token map `(h w)` of `int(sqrt(n))` sides: a
    square length), or that they do not divide (rounded up to a multiple); None otherwise."""
    left = found.group(1).split("->", 1)[0]
    groups = [(m.group(1).split() if m.group(1) is not None else [m.group(2)]) for m in _AXIS.finditer(left)]
    try:
        lengths = ast.literal_eval(found.group(3))
    except (ValueError, SyntaxError):
        return None
    if len(groups) != len(given) or any("..." in g for g in groups) or not isinstance(lengths, dict):
        return None
    size, want = (int(found.group(4)), int(found.group(5))) if found.group(4) else (int(found.group(6)), None)
    for axis, group in enumerate(groups):
        known = math.prod(lengths[a] for a in group if a in lengths)
        if given[axis] != size or not any(a in lengths for a in group):
            continue
        if want is not None and known == want and all(a in lengths for a in group):
            new = want
        elif want is None and known == int(found.group(7)):
            new = known * -(-size // known)
        else:
            continue
        shape = given[:axis] + (new,) + given[axis + 1:]
        return shape, f"{new} along axis {axis} as an einops pattern's lengths say"
    return None


def _no_larger(args: tuple, spatial: Tuple[int, ...]) -> bool:
    """Whether the first argument is an image (or signal, or volume) no larger along any axis
    than `spatial`, the size an error said was too small."""
    first = args[0] if args else None
    shape = tuple(getattr(first, "shape", ()))[2:]
    return len(shape) == len(spatial) and all(a <= b for a, b in zip(shape, spatial))


def _split(values: list, positional: int, kwargs: dict) -> Tuple[tuple, dict]:
    return tuple(values[:positional]), dict(zip(kwargs, values[positional:]))


def _shapes(attempt: Tuple[tuple, dict]) -> list:
    return [(tuple(v.shape), v.dtype) if hasattr(v, "shape") else type(v) for v in list(attempt[0]) + list(attempt[1].values())]


def _fewer_features(args: tuple, axis: int, fewer: int) -> Optional[tuple]:
    """The arguments with the first one `fewer` less along `axis` (a layer's error said so: the
    rest comes from the other inputs), or None when it cannot be."""
    import torch

    first = args[0] if args else None
    if not isinstance(first, torch.Tensor) or not first.is_floating_point() or first.dim() < (3 if axis == 1 else 2):
        return None
    shape = list(first.shape)
    if shape[axis] - fewer < 1 or fewer == 0:
        return None
    shape[axis] -= fewer
    return (torch.randn(shape, dtype=first.dtype),) + tuple(args[1:])


def describe_inputs(attempt: Tuple[tuple, dict]) -> str:
    args, kwargs = attempt
    parts = [_describe_value(a) for a in args] + [f"{k}={_describe_value(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _describe_value(value: Any) -> str:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        dtype = str(value.dtype).replace("torch.", "")
        return f"{tuple(value.shape)}" + ("" if dtype.startswith("float") else f" {dtype}")
    if isinstance(value, list) and value and len(value) <= 4:  # a list of tensors (`torch.cat(xs, 1)`)
        return f"[{', '.join(_describe_value(item) for item in value)}]"
    if isinstance(value, bool) or value is None:  # a flag (`return_attn`): what it was
        return repr(value)
    return type(value).__name__


def choose_inputs(model, name: str, inputs: Inputs, spec: Optional[ModelSpec]) -> Tuple[tuple, dict]:
    """try_inputs, with a Skip (reason and TOML) when every guess was rejected."""
    try:
        return try_inputs(model, inputs)
    except Rejected as rejected:
        raise Skip(_rejected_reason(inputs, rejected),
                   toml_hint(name, forward=_forward_parameters(forward_function(type(model)))[:1] or ["x"],
                             existing=spec is not None,
                             shapes=guess_shapes(model, _forward_parameters(forward_function(type(model)))[:1], {})))


def _rejected_reason(inputs: Inputs, rejected: Rejected) -> str:
    from nnlint.verify.checks import describe_error

    error = describe_error(rejected.error) if rejected.error else "an error"
    more = f" (and {len(inputs.attempts) - 1} other guesses)" if len(inputs.attempts) > 1 else ""
    return f"forward on the {inputs.how} input {rejected.shapes}{more} raised {error}"


def source_lines(cls: type) -> Tuple[str, int, int]:
    """(absolute source file, first line, last line) of a class; ("", 0, 0) if unknown. As
    inspect.getsourcelines finds them, with each file parsed once: inspect parses the whole file
    again for every class (before Python 3.13), and class_sources() asks for every user class of
    a model's submodules."""
    import linecache

    try:
        path = inspect.getsourcefile(cls) or ""
        module = sys.modules.get(cls.__module__)
        lines = linecache.getlines(path, module.__dict__) if path and module is not None else []
        start = _class_starts(path, lines).get(cls.__qualname__) if lines else None
        if start is None:
            found, start = inspect.getsourcelines(cls)
            return (os.path.abspath(path) if path else ""), start, start + len(found) - 1
        block = inspect.getblock(lines[start:])
    except (OSError, TypeError, IndexError):
        return "", 0, 0
    return os.path.abspath(path), start + 1, start + len(block)


_CLASS_STARTS: Dict[Tuple[str, int], Dict[str, int]] = {}  # (file, its line count) -> qualname -> first line - 1


def _class_starts(path: str, lines: List[str]) -> Dict[str, int]:
    """Where each class of a file starts, by qualified name, from one parse of the file: its
    first decorator's line, and the first of two classes of one name, as inspect finds them."""
    key = (path, len(lines))
    if key not in _CLASS_STARTS:
        starts: Dict[str, int] = {}
        stack: List[str] = []

        def visit(node) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    stack.extend([child.name, "<locals>"])
                    visit(child)
                    del stack[-2:]
                elif isinstance(child, ast.ClassDef):
                    stack.append(child.name)
                    first = child.decorator_list[0].lineno if child.decorator_list else child.lineno
                    starts.setdefault(".".join(stack), first - 1)
                    visit(child)
                    stack.pop()
                else:
                    visit(child)

        try:
            visit(ast.parse("".join(lines)))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
        _CLASS_STARTS[key] = starts
    return _CLASS_STARTS[key]
