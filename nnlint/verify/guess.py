"""Constructor arguments guessed without configuration: the defaults, then small values read from
each parameter's name, annotation and use in `__init__`, in a few profiles that keep related
sizes compatible (`dim` divisible by `heads`, `image_size` by `patch_size`); the configuration
objects a model ships (a dataclass with defaults, `get_default_config()`, a `*Config` class in
the same file, Hugging Face's `config_class`), with large sizes shrunk; and a size guard that
counts a candidate's parameters on a build without weight initialisation first.

Runs in the worker (imports torch lazily). `candidates(cls)` yields `Candidate`s, best first;
the builder (build.py) tries them until one builds and accepts an input.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import enum
import inspect
import math
import re
import sys
import textwrap
import weakref
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

PROFILES = 3  # how many combinations of guesses to try (each a consistent set of sizes)
SHRINK_ABOVE = 5_000_000  # parameters: above this, large size-named defaults are shrunk (a fast run)
MAX_PARAMETERS = 100_000_000  # still above this after shrinking: skipped as too large
_EMPTY = EMPTY = inspect.Parameter.empty  # "no guess"


@dataclass
class Candidate:
    """One way to call a model's constructor."""

    args: Tuple[Any, ...] = ()
    kwargs: Dict[str, Any] = field(default_factory=dict)
    guessed: Dict[str, Any] = field(default_factory=dict)  # name -> value we made up
    notes: List[str] = field(default_factory=list)  # e.g. "shrunk GPTConfig: n_layer 12 -> 1"

    def call(self, cls):
        """cls(...), with fresh copies of the parts (a built submodule, a config) each time: a
        rebuilt model must not share them with the first."""
        fresh = {k: _fresh(v) if _is_module(v) or _is_config_object(v) or dataclasses.is_dataclass(v)
                 else v for k, v in self.kwargs.items()}
        return cls(*(_fresh(a) if _is_module(a) else a for a in self.args), **fresh)

    def describe(self, cls_name: str) -> str:
        parts = [_short_repr(a) for a in self.args] + [f"{k}={_short_repr(v)}" for k, v in self.kwargs.items()]
        return f"{cls_name}({', '.join(parts)})"


_RECIPES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # a part we built -> (its class, Candidate)


def _fresh(value: Any) -> Any:
    """A copy of a part for one more build: deep-copied, or built again the way it was when it
    cannot be copied (encodec's SEANetEncoder: weight_norm's computed weights refuse deepcopy)."""
    try:
        return copy.deepcopy(value)
    except Exception:
        recipe = _RECIPES.get(value) if _is_module(value) else None
        if recipe is not None:
            try:
                return recipe[1].call(recipe[0])
            except Exception:
                pass
        return value  # shared with the first build: better than no build


def part_sizes(candidate: "Candidate") -> Dict[str, Any]:
    """The arguments the parts we built for a candidate were built with (`Sequential(VectorQuantize())`:
    the quantizer's `dim=32`), for sizing the inputs of the whole; the candidate's own win."""
    sizes: Dict[str, Any] = {}
    for value in list(candidate.args) + list(candidate.kwargs.values()):
        recipe = _RECIPES.get(value) if _is_module(value) else None
        if recipe is not None:
            for key, held in recipe[1].kwargs.items():
                sizes.setdefault(key, held)
    return sizes


def _short_repr(value: Any) -> str:
    if isinstance(value, type):
        return value.__qualname__
    if _is_module(value):
        return f"{type(value).__name__}()"
    if dataclasses.is_dataclass(value) or _is_config_object(value):
        return f"{type(value).__name__}(...)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ----- names -> values -------------------------------------------------------------------------
# (pattern on the lower-cased name, values per profile). The first match wins; the profiles keep
# sizes consistent: profile 0 has dim 32 / heads 2 / image 32 / patch 4, profile 1 dim 64 /
# heads 4 / image 64 / patch 8, profile 2 dim 16 / heads 1 / image 224 / patch 16.
_NAMED: List[Tuple[str, Tuple[Any, ...]]] = [
    # special token ids (attention-is-all-you-need's `src_pad_idx`, `trg_bos_idx`): distinct, small
    (r"(^|_)pad(ding)?_?(idx|id|token|token_id)$", (0, 0, 0)),
    (r"(^|_)(bos|sos|start|begin)_?(idx|id|token|token_id)$", (1, 1, 1)),
    (r"(^|_)(eos|end|stop)_?(idx|id|token|token_id)$", (2, 2, 2)),
    (r"(^|_)(unk|mask|cls|sep)_?(idx|id|token|token_id)$", (3, 3, 3)),
    (r"(img|image|input|in|data)_?shape$|^shape$", ((3, 32, 32), (3, 64, 64), (1, 28, 28))),  # (C, H, W)
    (r"^(num_|n_)?(classes|labels|class|outputs?_classes|categories)$|^n?_?cls$|^num_classes", (10, 10, 10)),
    (r"(image|img|input|in)_?(size|res|resolution|height|width|h|w|shape)$|^resolution$|^(height|width)$",
     (32, 64, 224)),
    (r"^(patch|patch_size|patch_len|patch_dim_size|p)$|patch_size|patch_height|patch_width|patch_len",
     (4, 8, 16)),
    # a speech model's spectrogram settings (tacotron2's STFT, HiFi-GAN's `h.n_fft`): a short
    # window, a hop that divides it, a few mel bands
    (r"(^|_)(n_?fft|fft_size|filter_length)$", (64, 64, 32)),
    (r"(^|_)(hop_length|hop_size|hop)$", (16, 16, 8)),
    (r"(^|_)(win_length|win_size|window_length)$", (64, 64, 32)),
    (r"(^|_)(n_mels|num_mels|n_mel_channels|mel_channels|n_mel|mel_bins|num_mel_bins)$", (16, 16, 8)),
    (r"window|^ws$|^win", (4, 4, 7)),
    (r"^(ndim|n_dims|num_dims|spatial_dims|dims_count)$", (2, 3, 2)),
    (r"(frame|time|video)_?(size|len|length|s)$|^frames$|^num_frames$", (4, 4, 8)),
    (r"frame_patch|temporal_patch|patch_t", (2, 2, 2)),
    (r"^(n_|num_)?heads?$|^n_?head$|^nhead|num_attention_heads|attn_heads|heads$", (2, 4, 1)),
    (r"dim_?head|head_?dim|d_?head|(^|_)d_[kv]$|key_dim|value_dim", (8, 16, 16)),
    (r"(vocab|num_tokens|n_tokens|n_vocab|ntoken|tokens|vocabulary)(_size)?$|^vocab|^num_embeddings$", (64, 64, 64)),
    (r"(block|seq|sequence|context|max_seq|max_len|max_length|ctx|context_length|max_position_embeddings)"
     r"(_size|_len|_length|_window)?$|^(seq_len|max_seq_len|n_ctx|n_positions?|num_positions|num_patches|seq_length)$",
     (16, 16, 16)),
    (r"(depth|layers?|n_layers?|num_layers?|num_blocks?|n_blocks?|blocks|n_layer|num_hidden_layers|stages?)$",
     (1, 2, 1)),
    (r"(mult|ratio|expansion|expand|factor|scale_factor|multiplier)$", (2, 2, 4)),
    (r"growth", (12, 8, 4)),  # DenseNet's growth_rate: channels, not a probability
    # rates that are not probabilities (vits' WN raises its `dilation_rate ** i`, HiFi-GAN's
    # Generator zips `upsample_rates` with its kernel sizes): whole numbers
    (r"dilation_?(rates?|sizes?|base)?$|dilations$", (1, 2, 1)),
    (r"(^|_)(up|down)_?(sample|sampling|scale)?_?(rates?|ratios?|factors?|strides?|scales?)$", (2, 2, 2)),
    (r"(^|_)(up|down)_?(sample|sampling)?_?kernel", (4, 4, 4)),  # a transposed conv's kernel: twice its stride
    (r"(sample|sampling|sampl)_?rate$|^sr$", (16000, 16000, 24000)),
    (r"(^|_)(n_|num_)?chunks?$", (2, 2, 2)),
    (r"(^|_)device$", ("cpu", "cpu", "cpu")),
    (r"^(ngpu|n_gpus?|num_gpus?|gpus)$", (1, 1, 1)),  # DCGAN's `ngpu`: one device
    (r"dropout|drop|_p$|^p$|prob|rate", (0.1, 0.0, 0.1)),
    (r"planes$", (16, 32, 64)),  # a residual block's width (`planes // 16` must stay above 0)
    (r"(out|output)_?(channels|chans|ch|c|nc)$|^c_out$", (8, 16, 4)),
    # channels inside the network (vits' hidden/inter/filter_channels, HiFi-GAN's
    # upsample_initial_channel halved per stage): widths, not an image's 3
    (r"^(hidden|inter|filter|initial|upsample_initial|mid|middle|inner|res|residual|skip|gate|base|model|spec)"
     r"_?(channels?|chans|ch)$", (32, 64, 16)),
    (r"(^|_)(in_)?(channels?|chans|ch|c|nc|in_c|channels_in|input_channels|img_channels)$|^c_in$",
     (3, 16, 1)),
    (r"(latent|z|noise|code|style|nz)_?(dim|size|dims)?$", (16, 32, 8)),
    (r"kernel(_size)?s?$|^k$|^ks$", (3, 3, 3)),
    (r"stride", (1, 2, 1)),
    (r"padding|^pad$", (1, 1, 1)),
    (r"groups?$", (1, 1, 1)),
    (r"dilation", (1, 1, 1)),
    (r"(mlp|ffn|ff|feedforward|feed_forward|intermediate|hidden|inner|fc)_?(dim|size|features|units)?$"
     r"|dim_feedforward|mlp_hidden|d_ff|d_inner", (64, 128, 32)),
    (r"(^|_)(dim|dims|d|d_model|n_embd|n_embed|embed_dim|emb_dim|embedding_dim|hidden_size|width|"
     r"features|num_features|n_feats|feat_dim|model_dim|dim_model|in_features|in_dim|input_dim|"
     r"input_size|in_size|out_features|out_dim|output_dim|output_size|out_size|size|d_input|"
     r"d_output|dim_in|dim_out|channels_out|embed|emb|ndim|n_features|normalized_shape|d_word_vec|word_vec)$|_dim$|^dim_|"
     r"_size$|_features$",
     (32, 64, 16)),
    (r"eps|epsilon", (1e-5, 1e-5, 1e-5)),
    (r"momentum", (0.1, 0.1, 0.1)),
    (r"temp|temperature|tau|scale|gamma|beta|alpha|lambda|lam|weight|coef|margin|std|sigma", (1.0, 1.0, 0.5)),
    (r"(^|_)(num|n)_", (2, 2, 1)),
    (r"^(use|is|has|with|enable|apply|return)_|^(causal|flash|bias|residual|normalize|norm|learned|"
     r"learnable|shared|share|bidirectional|batch_first|affine|inplace)$", (None, None, None)),  # bool: see below
    (r"(^|_)(count|steps?|timesteps|iters?|size)$", (4, 4, 4)),
]
_NAMED_RE = [(re.compile(pattern), values) for pattern, values in _NAMED]
_TRUE_BY_NAME = re.compile(r"^(bias|affine|batch_first|learned|learnable|residual)$")
_CONFIG_NAME = re.compile(r"^(config|cfg|conf|configs|args|opt|opts|options|hparams|hp|params|hyperparams|"
                          r"model_config|model_cfg|cfgs|settings)$|_config$|_cfg$")
_MODULE_NAME = re.compile(r"^(fn|f|g|func|function|net|network|model|module|block|layer|body|backbone|encoder|"
                          r"decoder|base|inner|wrapped|sublayer|core|transformer|vit|teacher|student|"
                          r"generator|discriminator|mod|m)$|_(fn|net|model|module|encoder|decoder|block|layer)$")
_CLASS_NAME = re.compile(r"(_layer|_cls|_class|_type|_block|_fn|_module|_act|activation|act|norm)$")


def by_name(name: str, profile: int) -> Any:
    """A small value for a parameter called `name`, or _EMPTY when the name says nothing."""
    lowered = name.lower()
    for pattern, values in _NAMED_RE:
        if pattern.search(lowered):
            value = values[min(profile, len(values) - 1)]
            if value is None:
                return bool(_TRUE_BY_NAME.match(lowered))
            return value
    return _EMPTY


# ----- how __init__ uses a parameter ------------------------------------------------------------
@dataclass
class Usage:
    kinds: set = field(default_factory=set)  # "int", "iter", "call", "attr", "str", "module", "class"
    strings: List[str] = field(default_factory=list)  # literals it is compared with (`pool in {"cls", ...}`)
    attrs: List[str] = field(default_factory=list)  # `config.n_embd` -> n_embd
    keys: List[str] = field(default_factory=list)  # `config["width"]` -> width
    length: int = 0  # `num_blocks[3]` read: at least 4 items
    arity: int = -1  # `block(in_planes, planes, stride)`: called with 3 positional arguments
    keywords: set = field(default_factory=set)  # `cell_type(a, b, stride=1)`: called with stride=
    items: Dict[str, "Usage"] = field(default_factory=dict)  # `out_planes = cfg["out_planes"]`: its use
    attr_uses: Dict[str, "Usage"] = field(default_factory=dict)  # `hparams.fp16_run` read as a bool: its use
    passed: List[str] = field(default_factory=list)  # `conv1x1(cin, ...)` -> StdConv2d's in_channels: the names
    # of the parameters it is passed to (a name-free guess: what the callee's name says)
    element: Optional["Usage"] = None  # `for k, d in zip(kernel_sizes, dilation_sizes)`: how an item is used
    optional: List[str] = field(default_factory=list)  # `config.patches.get("grid")`: keys that may be absent
    choices: List[Any] = field(default_factory=list)  # `cfg[vgg_name]`: the keys of the module's dict it indexes


def _function_tree(func) -> Optional[ast.FunctionDef]:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    return next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)


def init_usage(cls) -> Dict[str, Usage]:
    """How each constructor parameter is used in the class's own `__init__` (by the AST), and in
    the methods `__init__` passes it to (`self._make_layer(block, 64, num_blocks[0])`)."""
    func = _function_tree(_init_of(cls))
    if func is None:
        return {}
    params = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
    out: Dict[str, Usage] = {name: Usage() for name in params}
    stored: Dict[str, str] = {}  # self.<attr> = <param>
    followed: set = set()
    _walk_usage(cls, func, {name: name for name in params}, out, stored, followed)
    if stored:  # `self.period = period`, then `t % self.period` in forward: its use there too
        kept = {f"self.{attr}": name for attr, name in stored.items()}
        for method_name, method in _own_methods(cls):
            if method_name != "__init__":
                _walk_usage(cls, method, dict(kept), out, {}, followed, calls=method_name != "forward")
    for key in [k for k in out if k.endswith("[*]")]:  # an item of a sequence: its use, on the sequence
        if key[:-3] in out:
            out[key[:-3]].element = out.pop(key)
    for key in [k for k in out if "[" in k]:  # `cfg["out_planes"]`: the item's use, on cfg
        parent, item = key.split("[", 1)
        out[parent].items[item[1:-2]] = out.pop(key)
    if stored:  # a parameter stored on self and called in forward is a module (or a function)
        called = _called_self_attributes(cls)
        for attr, name in stored.items():
            if attr in called and name in out:
                out[name].kinds.add("module")
    for key in [k for k in out if "." in k and "[" not in k]:  # `hparams.prenet_dim`: on hparams
        parent, attr = key.split(".", 1)
        if parent in out:
            out[parent].attr_uses[attr] = out.pop(key)
    return out


_INT_CALLS = {"range", "Linear", "Conv1d", "Conv2d", "Conv3d", "LayerNorm", "Embedding", "BatchNorm1d", "BatchNorm2d",
              "GroupNorm", "ConvTranspose2d", "zeros", "ones", "randn", "rand", "empty", "Parameter"}


def _init_of(cls):
    """The `__init__` that builds `cls`: its own, else the first non-torch base's; None when
    torch's own builds it (`class LayerNorm(nn.LayerNorm)` with no `__init__`)."""
    init = cls.__dict__.get("__init__") if isinstance(cls, type) else None
    if init is None:
        for base in getattr(cls, "__mro__", ())[1:]:
            if "__init__" in base.__dict__ and not base.__module__.startswith("torch") and base is not object:
                return base.__dict__["__init__"]
    return init


MAX_GROUPS = 256  # a group count above this is not a constraint a small guess can meet


def group_multiples(func, depth: int = 0) -> Dict[str, int]:
    """Parameter -> the group count its value must be a multiple of: the parameter (or `mult *
    param`, `param or other`, `self.x` holding it; `param // 4` needs four times the count,
    `64 * param` none of 32) is the channel count of a GroupNorm with a
    literal group count (or a parameter's integer default: `nn.GroupNorm(groups, dim)` with
    `groups=8`), directly or through a function or Module class of the same module it is passed
    to (guided-diffusion's `normalization(channels)` -> `GroupNorm32(32, channels)`), two levels
    deep. Read from the AST; nothing runs."""
    from torch import nn

    tree = _function_tree(func)
    if tree is None:
        return {}
    scope = getattr(func, "__globals__", {})
    params = [a.arg for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    try:
        defaults = {n: p.default for n, p in inspect.signature(func).parameters.items()}
    except (TypeError, ValueError):
        defaults = {}
    derived: Dict[str, List[Tuple[str, Fraction]]] = {name: [(name, Fraction(1))] for name in params}

    def key(node) -> Optional[str]:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            return f"self.{node.attr}"
        return None

    def constant(node) -> Optional[int]:
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool) \
                and node.value > 0:
            return node.value
        return None

    def sources(node) -> List[Tuple[str, Fraction]]:  # the parameters a channel count is made of, and
        name = key(node)                                # the factor each is scaled by (`width // 4`: 1/4)
        if name is not None:
            return derived.get(name, [])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if constant(side):  # `64 * width_factor`: 64 channels per unit already
                    return [(n, f * constant(side)) for n, f in sources(other)]
            return sources(node.left) + sources(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv) and constant(node.right):
            return [(n, f / constant(node.right)) for n, f in sources(node.left)]
        if isinstance(node, ast.BoolOp):
            return [s for value in node.values for s in sources(value)]
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "int" and len(node.args) == 1:
            return sources(node.args[0])
        return []

    for _ in range(2):  # `ch = int(mult * model_channels)`, `self.out = out or channels`: chains
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                found = sources(node.value)
                for target in node.targets:
                    for part in [target] + list(getattr(target, "elts", [])):
                        name = key(part)
                        if found and name is not None:  # (`cout = cout or cin`: cin's too)
                            derived[name] = list(dict.fromkeys(derived.get(name, []) + found))
    out: Dict[str, int] = {}

    def need(node, multiple: Any) -> None:
        if isinstance(multiple, int) and not isinstance(multiple, bool) and 1 < multiple <= MAX_GROUPS:
            for name, factor in sources(node):  # name * factor a multiple of `multiple`
                wanted = multiple * factor.denominator
                wanted //= math.gcd(wanted, factor.numerator)
                if wanted > 1:
                    out[name] = math.lcm(out.get(name, 1), wanted)

    def resolve(node):
        if isinstance(node, ast.Name):
            return scope.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = resolve(node.value)
            return getattr(owner, node.attr, None) if owner is not None else None
        return None

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = resolve(node.func)
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if "GroupNorm" in called or (isinstance(target, type) and issubclass(target, nn.GroupNorm)):
            groups = node.args[0] if node.args else keywords.get("num_groups")
            channels = node.args[1] if len(node.args) > 1 else keywords.get("num_channels")
            if channels is None or groups is None:
                continue
            if isinstance(groups, ast.Constant):
                need(channels, groups.value)
            elif isinstance(groups, ast.Name) and groups.id in params:
                need(channels, defaults.get(groups.id))
            continue
        if depth >= 2 or target is None or getattr(target, "__module__", "").startswith("torch"):
            continue
        if inspect.isfunction(target):
            inner, skip = target, 0
        elif isinstance(target, type) and issubclass(target, nn.Module):
            inner, skip = _init_of(target), 1
        else:
            continue
        if inner is None or not inspect.isfunction(inner):
            continue
        nested = group_multiples(inner, depth + 1)
        if not nested:
            continue
        inner_tree = _function_tree(inner)
        names = [a.arg for a in inner_tree.args.posonlyargs + inner_tree.args.args][skip:] if inner_tree else []
        for i, arg in enumerate(node.args):
            if i < len(names) and names[i] in nested:
                need(arg, nested[names[i]])
        for name, value in keywords.items():
            if name in nested:
                need(value, nested[name])
    return {name: multiple for name, multiple in out.items() if name in params}


def _fit_to_groups(cls, candidate: "Candidate") -> None:
    """Guessed channel counts rounded up to a multiple of the group count of the GroupNorm they
    size (`GroupNorm(32, channels)`: 32, not 3 or 16), so that the build does not fail on
    "num_channels must be divisible by num_groups"."""
    try:
        multiples = group_multiples(_init_of(cls))
    except Exception:  # noqa: BLE001 - an odd class: no constraint known
        return
    for name, value in list(candidate.kwargs.items()):
        step = multiples.get(name)
        if step and name in candidate.guessed and isinstance(value, int) and not isinstance(value, bool) and value > 0 \
                and value % step:
            candidate.kwargs[name] = candidate.guessed[name] = step * -(-value // step)


def _own_methods(cls) -> Iterator[Tuple[str, ast.FunctionDef]]:
    """The class's own methods (not its bases'), as ASTs."""
    for name, value in list(vars(cls).items()) if isinstance(cls, type) else []:
        if inspect.isfunction(value):
            tree = _function_tree(value)
            if tree is not None:
                yield name, tree


def _walk_usage(cls, func, local: Dict[str, str], out: Dict[str, Usage], stored: Dict[str, str],
                followed: set, calls: bool = True, scope: Optional[Dict[str, Any]] = None, depth: int = 0) -> None:
    """Record in `out` how the function `func` uses the names in `local` (local name, or
    `self.attr` -> the constructor parameter it holds); a method of self it passes one to is
    walked too, once, and so is a function or class of the user's code (`scope`: the globals
    names resolve in, `cls`'s module's by default), a few calls deep. `calls=False` (forward):
    calling one says it is a module, not a class."""
    if scope is None:
        scope = getattr(_init_of(cls), "__globals__", None) or getattr(
            sys.modules.get(getattr(cls, "__module__", "")), "__dict__", {})

    def name_of(node) -> Optional[str]:
        if isinstance(node, ast.Name):
            return local.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            return local.get(f"self.{node.attr}")
        if isinstance(node, ast.Attribute):  # `hparams.gate_threshold`: its own use, kept on hparams
            parent = name_of(node.value)
            if parent and "." not in parent and "[" not in parent:
                out.setdefault(f"{parent}.{node.attr}", Usage())
                return f"{parent}.{node.attr}"
        return None

    aliases: Dict[str, Any] = {}  # a local name bound to a class or function of the user's code
    for node in ast.walk(func):
        if isinstance(node, ast.Call):
            callee = name_of(node.func) if calls else None
            if callee:
                out[callee].kinds.add("call")
                out[callee].arity = max(out[callee].arity, len(node.args))
                out[callee].keywords |= {k.arg for k in node.keywords if k.arg}
            func_name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func_name == "get" and name_of(node.func.value) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):  # `config.patches.get("grid")`: a mapping
                out[name_of(node.func.value)].kinds.add("mapping")  # that may lack the key
                out[name_of(node.func.value)].optional.append(node.args[0].value)
            if func_name == "range":  # `range(1, block_units[0] + 1)`: a sequence of counts
                for part in (n for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Subscript)):
                    if name_of(part.value):
                        out[name_of(part.value)].kinds.add("counts")
            for arg in node.args:
                name = name_of(arg)
                if name is None:
                    continue
                if func_name in _INT_CALLS:
                    out[name].kinds.add("int")
                elif func_name in _DATA_CALLS:
                    out[name].kinds.add("data")  # `torch.tensor(k)`: numbers (a list when it is indexed)
                elif func_name in ("zip", "enumerate", "len", "list", "tuple", "reversed", "sorted"):
                    out[name].kinds.add("iter")
                else:
                    out[name].kinds.add("arg")  # passed on: `Inner(h)` needs something
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id == "self" and node.func.attr not in followed:
                _follow_method(cls, node, local, out, stored, followed)
            elif depth < 3 and func_name not in _INT_CALLS:
                passed = {i: name_of(a) for i, a in enumerate(node.args) if name_of(a)}
                by_keyword = {k.arg: name_of(k.value) for k in node.keywords if k.arg and name_of(k.value)}
                if passed or by_keyword:
                    target = aliases.get(node.func.id) if isinstance(node.func, ast.Name) else None
                    _follow_call(target or _resolve(node.func, scope), passed, by_keyword, out, followed, depth)
        elif isinstance(node, ast.Attribute):
            name = name_of(node.value)
            if name:
                if node.attr in _LIST_METHODS:  # `hidden_dims.reverse()`: a list, not a config
                    out[name].kinds |= {"iter", "list"}
                else:
                    out[name].kinds.add("attr")
                    out[name].attrs.append(node.attr)
        elif isinstance(node, ast.Subscript):
            key = name_of(node.slice)
            table = scope.get(node.value.id) if key and isinstance(node.value, ast.Name) else None
            if isinstance(table, dict) and table:  # kuangliu's VGG: `cfg[vgg_name]`, a key of the file's dict
                out[key].choices.extend(k for k in table if isinstance(k, (str, int)) and k not in out[key].choices)
            name = name_of(node.value)
            if name and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                out[name].kinds.add("mapping")  # config["width"]
                out[name].keys.append(node.slice.value)
            elif name:
                out[name].kinds.add("iter")
                index = node.slice
                if isinstance(index, ast.Constant) and isinstance(index.value, int) and index.value >= 0:
                    out[name].length = max(out[name].length, index.value + 1)
        elif isinstance(node, (ast.For, ast.comprehension)):
            name = name_of(node.iter)
            if name:
                out[name].kinds.add("iter")
            _bind_items(node.target, node.iter, name_of, local, out)
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add) and any(isinstance(side, (ast.List, ast.ListComp))
                                                    for side in (node.left, node.right)):
                for side in (node.left, node.right):  # `[in_dim] + sizes[:-1]`: a list
                    held = name_of(side.value if isinstance(side, ast.Subscript) else side)
                    if held:
                        out[held].kinds.add("list")
            for side in (node.left, node.right):
                name = name_of(side)
                if name and isinstance(node.op, (ast.FloorDiv, ast.Mod, ast.Mult, ast.Add, ast.Sub, ast.Div, ast.Pow)):
                    out[name].kinds.add("number")
        elif isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)) and name_of(node.test) \
                or isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and name_of(node.operand):
            out[name_of(getattr(node, "test", None) or node.operand)].kinds.add("bool")  # `if hparams.fp16_run:`
        elif isinstance(node, ast.Compare):
            names = [name_of(n) for n in [node.left] + node.comparators]
            if all(isinstance(op, (ast.Lt, ast.Gt, ast.LtE, ast.GtE)) for op in node.ops):
                for name in filter(None, names):  # `gate > self.gate_threshold`
                    out[name].kinds.add("number")
            literals = [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, (ast.In, ast.NotIn)) and name_of(right):  # `ds in attention_resolutions`
                    out[name_of(right)].kinds.add("iter")
            for name in filter(None, names):
                if literals:
                    out[name].kinds.add("str")
                    out[name].strings.extend(lit.value for lit in literals if lit.value not in out[name].strings)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, (ast.IfExp, ast.Name, ast.Attribute)):
            found = _resolve(node.value.body if isinstance(node.value, ast.IfExp) else node.value, scope)
            if isinstance(found, type) or inspect.isfunction(found):  # vits' `resblock = modules.ResBlock1 if
                aliases[node.targets[0].id] = found                     # resblock == '1' else ...`: a class
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Subscript) and name_of(node.value.value) \
                and "[" not in name_of(node.value.value) and isinstance(node.value.slice, ast.Constant) \
                and isinstance(node.value.slice.value, str):
            item = f"{name_of(node.value.value)}[{node.value.slice.value!r}]"  # x = cfg["key"]: x is followed
            out.setdefault(item, Usage())
            local[node.targets[0].id] = item
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, name = node.targets[0], name_of(node.value)
            if name and isinstance(target, ast.Attribute):
                stored[target.attr] = name
                if isinstance(target.value, ast.Name) and target.value.id == "self" and calls:
                    local[f"self.{target.attr}"] = name  # `self.model = model`, then `self.model.channels`
            elif name and isinstance(target, (ast.Tuple, ast.List)):
                out[name].kinds.add("iter")  # `height, width = image_size`: as many items as unpacked
                if not any(isinstance(part, ast.Starred) for part in target.elts):
                    out[name].length = max(out[name].length, len(target.elts))
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) \
                    and len(target.elts) == len(node.value.elts):
                for part, held in zip(target.elts, node.value.elts):  # `a, b, t = x, res, self.t`
                    if isinstance(part, ast.Name) and name_of(held):
                        local[part.id] = name_of(held)
                    elif isinstance(part, ast.Attribute) and name_of(held):  # `self.a, self.b = a, b`
                        stored[part.attr] = name_of(held)
                        if isinstance(part.value, ast.Name) and part.value.id == "self" and calls:
                            local[f"self.{part.attr}"] = name_of(held)


def _bind_items(target, source, name_of, local: Dict[str, str], out) -> None:
    """`for k in kernel_sizes`, `for i, (u, k) in enumerate(zip(rates, kernel_sizes))`: each loop
    name that holds an item of a parameter stands for `param[*]`, whose use is the item's."""
    if isinstance(source, ast.Call) and getattr(source.func, "id", "") == "enumerate" and source.args \
            and isinstance(target, ast.Tuple) and len(target.elts) == 2:
        _bind_items(target.elts[1], source.args[0], name_of, local, out)
    elif isinstance(source, ast.Call) and getattr(source.func, "id", "") == "zip" and isinstance(target, ast.Tuple) \
            and len(target.elts) == len(source.args):
        for part, held in zip(target.elts, source.args):
            _bind_items(part, held, name_of, local, out)
    elif isinstance(target, ast.Name):
        name = name_of(source)
        if name and "[" not in name:  # (`h.resblock_dilation_sizes`: the item's use, on h's attribute)
            out.setdefault(f"{name}[*]", Usage())
            local[target.id] = f"{name}[*]"


def _resolve(func, scope: Dict[str, Any]) -> Any:
    """The global a call's function names (`conv1x1`, `nn.Conv2d`, `layers.Block`), or None."""
    if isinstance(func, ast.Name):
        return scope.get(func.id)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id != "self":
        return getattr(scope.get(func.value.id), func.attr, None)
    return None


_DATA_CALLS = {"tensor", "as_tensor", "FloatTensor", "array", "asarray"}
_LIST_METHODS = {"reverse", "append", "extend", "insert", "pop", "sort", "remove"}


def _follow_call(target, passed: Dict[int, str], by_keyword: Dict[str, str], out, followed: set,
                 depth: int) -> None:
    """`conv1x1(cin, cmid)`, `fourier_encode(x, self.max_freq)`, `StdConv2d(cin, cout, 3)`: the
    names of the parameters the values fill (`Usage.passed`), and, for a function or class of
    the user's code, the callee's own use of them (its AST walked with its parameters holding
    them). Torch's own classes are not walked: their parameters' names say enough."""
    if isinstance(target, type):
        user = not target.__module__.startswith("torch") and _init_of(target) is not None
        func, skip = (_init_of(target), 1) if user else (None, 0)
        try:
            names = [p.name for p in inspect.signature(target).parameters.values()
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            return
    elif inspect.isfunction(target) and not getattr(target, "__module__", "").startswith("torch"):
        func, skip = target, 0
        names = [p.name for p in inspect.signature(target).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    else:
        return
    mapping = {names[i]: name for i, name in passed.items() if i < len(names)}
    mapping.update(by_keyword)
    for callee_name, name in mapping.items():
        if callee_name not in out[name].passed:
            out[name].passed.append(callee_name)
    key = (id(target), tuple(sorted(mapping.items())))
    tree = _function_tree(func) if func is not None and key not in followed else None
    if tree is None:
        return
    followed.add(key)
    params = [a.arg for a in tree.args.posonlyargs + tree.args.args][skip:] + [a.arg for a in tree.args.kwonlyargs]
    local = {param: mapping[param] for param in params if param in mapping}
    stored: Dict[str, str] = {}
    scope = getattr(func, "__globals__", {})
    _walk_usage(target if isinstance(target, type) else None, tree, local, out, stored, followed,
                scope=scope, depth=depth + 1)
    if stored and isinstance(target, type):  # kept on the part's self, read in its other methods
        kept = {f"self.{attr}": name for attr, name in stored.items()}
        for method_name, method in _own_methods(target):
            if method_name != "__init__":
                _walk_usage(target, method, dict(kept), out, {}, followed, calls=method_name != "forward",
                            scope=scope, depth=depth + 1)


def _follow_method(cls, call: ast.Call, local: Dict[str, str], out, stored, followed: set) -> None:
    """`self._make_layer(block, planes, num_blocks[0])`: walk the method with its parameters
    holding what was passed."""
    passed = {i: local[a.id] for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id in local}
    by_keyword = {k.arg: local[k.value.id] for k in call.keywords
                  if k.arg and isinstance(k.value, ast.Name) and k.value.id in local}
    if not passed and not by_keyword:
        return
    followed.add(call.func.attr)
    method = _function_tree(getattr(cls, call.func.attr, None))
    if method is None:
        return
    names = [a.arg for a in method.args.posonlyargs + method.args.args][1:]
    mapping = {names[i]: param for i, param in passed.items() if i < len(names)}
    mapping.update(by_keyword)
    _walk_usage(cls, method, mapping, out, stored, followed)


def _called_self_attributes(cls) -> set:
    forward = getattr(cls, "forward", None)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return set()
    return {node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"}


# ----- one parameter ----------------------------------------------------------------------------
def guess_value(cls, param: inspect.Parameter, usage: Usage, profile: int, depth: int) -> Any:
    """A value for a required constructor parameter, or _EMPTY when nothing can be guessed."""
    from torch import nn

    annotation = _number_of_union(_annotation(cls, param))
    name = param.name
    if _DTYPE_NAME.search(name.lower()) and (annotation is _EMPTY or annotation is None) \
            or _is_dtype_annotation(annotation):
        import torch

        return torch.float32
    if isinstance(annotation, type):
        if issubclass(annotation, nn.Module):
            return _build_nested(annotation, depth, cls, name) if annotation is not nn.Module else nn.Identity()
        if annotation is bool:
            return bool(_TRUE_BY_NAME.match(name.lower()))
        if annotation in (int, float):
            value = by_name(name, profile)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return annotation(value)
            return annotation(8 if annotation is int else 0.1)
        if annotation is str:
            texts = usage.strings + [c for c in usage.choices if isinstance(c, str)]
            return texts[0] if texts else _EMPTY
        if issubclass(annotation, enum.Enum) and len(annotation):
            return next(iter(annotation))  # `mode: AttnMode`: its first member
        config = config_instance(annotation)
        if config is not None:
            return config
    literal = _literal_choices(annotation)
    if literal:
        return literal[0]  # `pool: Literal["cls", "mean"]`
    sequence = _sequence_annotation(annotation)
    if sequence is not None:  # `dims: Tuple[int, ...]`, `channel_mult: List[int]`: a sequence, as long as its reads
        value = by_name(name, profile)
        held = dataclasses.replace(usage, kinds=usage.kinds | {"iter"} | ({"list"} if sequence[0] is list else set()),
                                   length=max(usage.length, sequence[1]))
        return _sized(name, 16 if value is _EMPTY or isinstance(value, bool) else value, held)
    spread = _spread_keywords(cls, name, profile, depth)
    if spread is not None:
        return spread  # `Transformer(dim=sm_dim, **sm_enc_params)`: what Transformer still needs
    if depth < 2:
        for kind in _asserted_classes(cls, name):  # `assert isinstance(vit, ViT)`: a ViT
            built = _build_nested(kind, depth, cls, name)
            if built is not None:
                return built
    if "str" in usage.kinds and usage.strings:  # vits' `resblock == '1'`: a string, though it is called later
        return usage.strings[0]
    if usage.choices:  # a key of the table it looks up (the first: a zoo's smallest, usually)
        return usage.choices[0]
    if "data" in usage.kinds and ("iter" in usage.kinds or usage.attrs):  # stylegan2's `make_kernel(kernel)`
        return [1, 3, 3, 1]  # -> `torch.tensor(k)`, indexed: a blur kernel's taps, not a config
    kind = _module_class_for(cls, name, usage)
    if kind is not None:
        return kind  # ResNet(block, ...): `block(in_planes, planes)`, `block.expansion`
    if usage.attrs and not _CONFIG_NAME.search(name.lower()) and depth < 2:
        part = _class_with_attributes(cls, usage.attrs)
        if part is not None:
            built = _build_nested(part, depth, cls, name)
            if built is not None:
                return built
    if usage.attrs and not _CONFIG_NAME.search(name.lower()) and all(
            hasattr(nn.Module, attr) and not attr.startswith("__") for attr in usage.attrs):
        # only Module's own read (tacotron2's DistributedDataParallel(module): `module.state_dict()`;
        # dino's NetWrapper(net): `[*net.children()][layer]` hooked): a module that passes its
        # input on, with two children (the hidden layer -2 is the first)
        return nn.Sequential(nn.Identity(), nn.Identity())
    if _CONFIG_NAME.search(name.lower()) or (usage.attrs and "call" not in usage.kinds and not usage.kinds & {"int", "number"}):
        config = shipped_config(cls, name, usage)
        if config is not None:
            return config
        if usage.attrs:
            return attribute_bag(usage.attrs, profile, usage.attr_uses)
    if "mapping" in usage.kinds:
        longest = max([item.length for item in usage.items.values()] + [0])  # zip(widths, repeats): as long
        values = {key: _item_value(key, profile, dataclasses.replace(usage.items.get(key, Usage()), length=longest))
                  for key in usage.keys}
        if all(value is not _EMPTY for value in values.values()):
            return values
    nested = _class_named_like(cls, name)
    if nested is not None and depth < 2 and ({"call", "module", "attr"} & usage.kinds or _MODULE_NAME.search(name)):
        built = _build_nested(nested, depth, cls, name)
        if built is not None:
            return built
    if _CLASS_NAME.search(name.lower()) and "call" in usage.kinds:
        return nn.Identity  # norm_layer(dim), act_layer(): a class that accepts anything
    if "module" in usage.kinds or ("call" in usage.kinds and _MODULE_NAME.search(name.lower())) \
            or _MODULE_NAME.search(name.lower()) and type(by_name(name, profile)) is not int:  # d_model: a width
        return nn.Identity()
    value = by_name(name, profile)
    if value is _EMPTY:  # `cin` passed to a layer as its in_channels: what that name says
        value = next((found for alias in usage.passed for found in [by_name(alias, profile)]
                      if found is not _EMPTY and not isinstance(found, bool)), _EMPTY)
    if value is not _EMPTY:
        return _sized(name, value, usage)
    if "bool" in usage.kinds and not usage.kinds - {"bool", "arg"}:
        return False  # ViT-pytorch's `vis`, only tested (`if self.vis:`): a switch, off
    if "iter" in usage.kinds:
        return _sized(name, 1 if "counts" in usage.kinds else 16, usage)
    if usage.kinds & {"int", "number"}:
        return (8, 16, 4)[profile % 3]
    if "call" in usage.kinds:
        return nn.Identity
    if not usage.kinds and not usage.attrs and _init_of(cls) is not None:
        return None  # only kept (`self.h = h`), never read: nothing to go wrong
    return _EMPTY  # (or torch's own __init__ takes it: whisper's `class LayerNorm(nn.LayerNorm)`)


_COUNT_NAME = re.compile(r"depth|layers?$|blocks?$|repeats?$|num_|^n_")
_DTYPE_NAME = re.compile(r"(^|_)dtype$")


def _number_of_union(annotation: Any) -> Any:
    """`int | Tuple[int, int, int]` (magvit2's kernel_size, made a tuple by `cast_tuple`): int,
    the plainest of what it accepts; `Optional[float]`: float; anything else unchanged."""
    import typing

    args = typing.get_args(annotation) if type(annotation).__name__ in ("UnionType", "_UnionGenericAlias") \
        or typing.get_origin(annotation) is typing.Union else ()
    return next((kind for kind in (int, float, bool, str) if kind in args), annotation)


def _literal_choices(annotation: Any) -> tuple:
    import typing

    return typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()


def _sequence_annotation(annotation: Any) -> Optional[Tuple[type, int]]:
    """(list or tuple, the fixed length or 0) for `List[int]`, `Tuple[int, int]`, `Sequence[int]`
    of numbers; None for anything else."""
    import collections.abc
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin not in (list, tuple, collections.abc.Sequence) or not args \
            or not all(arg in (int, float, Ellipsis) for arg in args):
        return None
    fixed = len(args) if origin is tuple and Ellipsis not in args else 0
    return (list if origin is list else tuple), fixed


def _is_dtype_annotation(annotation: Any) -> bool:
    try:
        import torch

        return annotation is torch.dtype
    except Exception:  # noqa: BLE001
        return False


def _item_value(key: str, profile: int, usage: Usage) -> Any:
    """A value for `cfg["key"]`: by its name, else by its use (a sequence of counts or of
    sizes, a number)."""
    value = by_name(key, profile)
    if value is _EMPTY and "iter" in usage.kinds:
        value = 1 if _COUNT_NAME.search(key.lower()) else 16
    elif value is _EMPTY and usage.kinds & {"int", "number"}:
        value = (8, 16, 4)[profile % 3]
    return _sized(key, value, usage)


def _sized(name: str, value: Any, usage: Usage) -> Any:
    """A number for a parameter read as a sequence becomes one, as long as its reads need:
    counts and image sizes repeat (`num_blocks[3]`: (1, 1, 1, 1), `image_size[0]`: (32, 32)),
    other sizes double (`out_planes`: (16, 32, 64))."""
    if "iter" not in usage.kinds or not isinstance(value, int) or isinstance(value, bool):
        return value
    count = max(2, usage.length)
    kind = list if "list" in usage.kinds else tuple  # `[in_dim] + sizes[:-1]` needs a list
    if usage.element is not None and "iter" in usage.element.kinds:  # HiFi-GAN's dilation sizes, one
        return kind((_sized(name, value, usage.element),) * count)  # (1, 3, 5) per resblock: items indexed
    if _COUNT_NAME.search(name.lower()) or "counts" in usage.kinds or _IMAGE_SIZE_NAME.search(name.lower()) \
            or _PATCH_SIZE_NAME.search(name.lower()) or _PER_STAGE_NAME.search(name.lower()):
        return kind((value,) * count)  # an image's (height, width): square, as the guessed inputs are;
        # a kernel size per stage or per axis stays odd (magvit2's (3, 3, 3), not (3, 6))
    return kind(value * 2 ** i for i in range(count))


_PER_STAGE_NAME = re.compile(r"kernel|stride|rate|ratio|factor|dilation|padding")
_BLOCK_NAME = re.compile(r"block|bottleneck|cell|unit")


def _module_class_for(cls, name: str, usage: Usage):
    """A Module class of `cls`'s module for a parameter that is constructed (`block(in_planes,
    planes, stride)`) or whose class attributes are read (`block.expansion`): the first class
    there that has those attributes and takes that many arguments, one whose name speaks of
    blocks first when the parameter's does. None when the use does not say it is a class."""
    from torch import nn

    constructed = "call" in usage.kinds and usage.arity > 0
    if not (constructed and _BLOCK_NAME.search(name.lower())) and not (usage.attrs and constructed):
        return None
    if any(_instance_method(attr) for attr in usage.attrs):
        return None  # `net.children()`, `net.named_modules()`: an instance (dino's NetWrapper(net)), not a class
    module_globals = getattr(getattr(cls, "__init__", None), "__globals__", {})
    found = []
    for value in list(module_globals.values()):
        if not (isinstance(value, type) and issubclass(value, nn.Module) and value is not cls
                and value.__module__ == cls.__module__ and not getattr(value, "__abstractmethods__", None)):
            continue
        if not all(hasattr(value, attr) for attr in usage.attrs):
            continue
        try:
            inspect.signature(value).bind_partial(*range(usage.arity), **dict.fromkeys(usage.keywords, 0))
        except TypeError:
            continue
        except ValueError:
            pass
        found.append(value)
    word = _BLOCK_NAME.search(name.lower())
    same = [kind for kind in found if word and word.group(0) in kind.__name__.lower()]  # cell_type: a Cell
    named = [kind for kind in found if _BLOCK_NAME.search(kind.__name__.lower())]
    return (same or named or found or [None])[0]


def _spread_keywords(cls, name: str, profile: int, depth: int) -> Optional[Dict[str, Any]]:
    """A dict for a parameter `__init__` spreads into a call as `**name` (vit-pytorch's
    cross_vit MultiScaleEncoder: `Transformer(dim=sm_dim, dropout=dropout, **sm_enc_params)`):
    the callee's required parameters that the call does not give, each guessed as the callee
    would guess it (depth, heads, dim_head, mlp_dim). None when it is not spread so, or the
    callee is not a class or function of the user's code that can be read."""
    init = _init_of(cls)
    tree = _function_tree(init)
    if tree is None:
        return None
    scope = getattr(init, "__globals__", {})
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not any(
                k.arg is None and isinstance(k.value, ast.Name) and k.value.id == name for k in node.keywords):
            continue
        if any(k.arg is None and not (isinstance(k.value, ast.Name) and k.value.id == name) for k in node.keywords) \
                or any(isinstance(a, ast.Starred) for a in node.args):
            return None  # two spreads: which holds what is unknown
        callee = _callee(node.func, scope, cls, None)
        if callee is None or getattr(callee, "__module__", "").startswith("torch"):
            return None
        try:
            params = [p for p in inspect.signature(callee).parameters.values()
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        except (TypeError, ValueError):
            return None
        given = {p.name for p in params[:len(node.args)] if p.kind != p.KEYWORD_ONLY} \
            | {k.arg for k in node.keywords if k.arg}
        values = {}
        for param in params:
            if param.default is not _EMPTY or param.name in given:
                continue
            value = _forwarded_value(callee, param, profile, depth) if isinstance(callee, type) \
                else by_name(param.name, profile)
            if value is _EMPTY:
                return None
            values[param.name] = value
        return values
    return None


def _asserted_classes(cls, name: str) -> List[type]:
    """The Module classes `cls.__init__` asserts its parameter `name` is an instance of
    (vit-pytorch's Adapter: `assert isinstance(vit, ViT)`; DistillWrapper: `isinstance(student,
    (DistillableViT, DistillableT2TViT, ...))`), in the order written; torch's own and abstract
    ones left out."""
    from torch import nn

    init = _init_of(cls)
    tree = _function_tree(init)
    if tree is None:
        return []
    scope = getattr(init, "__globals__", {})
    found: List[type] = []
    for statement in ast.walk(tree):
        if not isinstance(statement, ast.Assert):
            continue
        items = {name} | {g.target.id for g in ast.walk(statement.test) if isinstance(g, ast.comprehension)
                          and isinstance(g.iter, ast.Name) and g.iter.id == name and isinstance(g.target, ast.Name)}
        for node in ast.walk(statement.test):  # `isinstance(fn, K) for fn in fns`: each item of *fns
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" \
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Name) and node.args[0].id in items:
                kinds = _evaluate(node.args[1], dict(scope))
                for kind in kinds if isinstance(kinds, tuple) else (kinds,):
                    if isinstance(kind, type) and issubclass(kind, nn.Module) and kind is not cls \
                            and not kind.__module__.startswith("torch") and not getattr(kind, "__abstractmethods__", None) \
                            and kind not in found:
                        found.append(kind)
    return found


def _instance_method(attr: str) -> bool:
    """Module's own method that only an instance answers (`children`, `state_dict`)."""
    from torch import nn

    return not attr.startswith("__") and inspect.isfunction(getattr(nn.Module, attr, None))


def _annotation(cls, param: inspect.Parameter) -> Any:
    annotation = param.annotation
    if isinstance(annotation, str):
        init = getattr(cls, "__init__", None)
        scope = dict(getattr(init, "__globals__", {}))
        try:
            annotation = eval(annotation, scope)  # noqa: S307 - the user's own annotation, in its module
        except Exception:
            return {"int": int, "float": float, "bool": bool, "str": str}.get(annotation, _EMPTY)
    return annotation


def _class_named_like(cls, name: str):
    """`vit` -> the class ViT of the same module, `encoder` -> Encoder: a part to build first."""
    from torch import nn

    module_globals = getattr(getattr(cls, "__init__", None), "__globals__", {})
    wanted = name.lower().replace("_", "")
    for value in module_globals.values():
        if (isinstance(value, type) and issubclass(value, nn.Module) and value is not cls
                and value.__name__.lower().replace("_", "") == wanted):
            return value
    return None


def _class_with_attributes(cls, attrs: Sequence[str]):
    """The Module class (of `cls`'s module, defined or imported there) whose __init__ sets every
    attribute in `attrs` (MAE(encoder) reads encoder.pos_embedding, encoder.to_patch_embedding:
    a ViT of the file), or None."""
    from torch import nn

    wanted = {a for a in attrs if not a.startswith("__") and not hasattr(nn.Module, a)}  # not `.parameters()`
    if not wanted:
        return None
    module_globals = getattr(getattr(cls, "__init__", None), "__globals__", {})
    best = _smallest_with(cls, wanted, list(module_globals.values()))
    package = getattr(cls, "__module__", "").rpartition(".")[0]
    if best is None and package:  # a wrapper whose network is another module's (denoising-diffusion's
        # ContinuousTimeGaussianDiffusion(model) reads model.self_condition: the package's Unet)
        kinds = [value for module_name, module in list(sys.modules.items())
                 if module is not None and (module_name == package or module_name.startswith(package + "."))
                 for value in list(vars(module).values())
                 if isinstance(value, type) and getattr(value, "__module__", "").startswith(package + ".")]
        best = _smallest_with(cls, wanted, kinds)
    return best


def _smallest_with(cls, wanted: set, values: list):
    """The class in `values` with the fewest attributes whose __init__ sets every one in `wanted`."""
    from torch import nn

    best, best_count = None, 0
    for value in values:
        if not (isinstance(value, type) and issubclass(value, nn.Module) and value is not cls
                and not value.__module__.startswith("torch") and not issubclass(value, cls)
                and not issubclass(cls, value)):
            continue
        assigned = _assigned_attributes(value)
        if wanted <= assigned and (best is None or len(assigned) < best_count):
            best, best_count = value, len(assigned)  # the smallest class that has them all
    return best


def _assigned_attributes(kind: type) -> set:
    names = set()
    for klass in kind.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass.__module__.startswith("torch"):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
        except (OSError, TypeError, SyntaxError, IndentationError):
            continue
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]                 if isinstance(node, ast.AnnAssign) else []
            names |= {part.attr for target in targets for part in ast.walk(target)
                      if isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name)
                      and part.value.id == "self"}
    return names


def _build_nested(part: type, depth: int, owner=None, name: str = ""):
    """A `part` built from its first candidate that builds; made to pass the asserts that
    `owner.__init__` makes about its parameter `name` when it does not (see _meet_asserts)."""
    for candidate in candidates(part, depth=depth + 1):
        try:
            built = candidate.call(part)
        except Exception:
            continue
        if owner is not None:
            built = _meet_asserts(owner, name, part, candidate, built)
        try:
            _RECIPES.setdefault(built, (part, candidate))  # how to build it again (see _fresh)
        except TypeError:
            pass
        return built
    return None


# ----- what a wrapper asserts about the network it is given ------------------------------------
MAX_REBUILDS = 8  # builds of a part tried to meet its wrapper's asserts


def _meet_asserts(owner, name: str, part: type, candidate: Candidate, built):
    """`built` (a `part(...)` for `owner`'s parameter `name`), rebuilt with other keywords when
    `owner.__init__` asserts something of it that it fails. denoising-diffusion-pytorch's
    ContinuousTimeGaussianDiffusion(model) asserts `model.random_or_learned_sinusoidal_cond`,
    which Unet sets from `learned_sinusoidal_cond or random_fourier_features`: a Unet with
    `learned_sinusoidal_cond=True`; LearnedGaussianDiffusion asserts `model.out_dim ==
    model.channels * 2`: Unet's flag `learned_variance` flipped, or `out_dim` set to the value
    the other side of `==` has. Each keyword kept only if fewer asserts fail; the first build
    when nothing helps (the wrapper's error then says why)."""
    failing = _failing_asserts(owner, name, built)
    if not failing:
        return built
    kwargs = dict(candidate.kwargs)
    tried = 0
    for key, value in _assert_options(part, name, failing):
        if key in kwargs and kwargs[key] == value or tried >= MAX_REBUILDS:
            continue
        trial = Candidate(candidate.args, {**kwargs, key: value})
        tried += 1
        try:
            rebuilt = trial.call(part)
        except Exception:
            continue
        now = _failing_asserts(owner, name, rebuilt)
        if len(now) < len(failing):
            built, failing, kwargs = rebuilt, now, trial.kwargs
            _RECIPES[built] = (part, trial)
            if not failing:
                break
    return built


def _failing_asserts(owner, name: str, value) -> List[Tuple[ast.expr, Dict[str, Any]]]:
    """The tests of the asserts at the top of `owner.__init__` that read `name.<attr>` and are
    false with `value` for `name`: (test, the names it can read). The statements before each
    are followed as far as plain `local = expression` assignments go (`channels =
    model.channels`); the other parameters have their defaults; a test that cannot be
    evaluated (it reads `self`, an argument without a default) is left out."""
    init = _init_of(owner)
    tree = _function_tree(init)
    if tree is None:
        return []
    scope: Dict[str, Any] = dict(getattr(init, "__globals__", {}))
    try:
        for param in inspect.signature(owner).parameters.values():
            if param.default is not _EMPTY:
                scope[param.name] = param.default
    except (TypeError, ValueError):
        pass
    scope[name] = value
    failing = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            target = statement.targets[0].id
            held = _evaluate(statement.value, scope)
            if held is _EMPTY:
                scope.pop(target, None)
            else:
                scope[target] = held
        elif isinstance(statement, ast.Assert) and _reads_attribute_of(statement.test, name):
            if _evaluate(statement.test, scope) is False:
                failing.append((statement.test, dict(scope)))
    return failing


def _evaluate(node: ast.expr, scope: Dict[str, Any]) -> Any:
    """The value of an expression of the user's __init__ in `scope` (a bool for a test), or
    _EMPTY when it cannot be had. Calls are not made, but for a few pure builtins."""
    if any(isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name) and n.func.id in _PURE_CALLS)
           for n in ast.walk(node)) or any(isinstance(n, (ast.Lambda, ast.NamedExpr)) for n in ast.walk(node)):
        return _EMPTY
    if any(isinstance(n, ast.Name) and n.id not in scope and n.id not in _PURE_CALLS for n in ast.walk(node)):
        return _EMPTY
    try:
        value = eval(compile(ast.Expression(body=node), "<assert>", "eval"),  # noqa: S307 - the user's
                     {"__builtins__": {k: __builtins__[k] if isinstance(__builtins__, dict)  # own test
                                       else getattr(__builtins__, k) for k in _PURE_CALLS}}, scope)
    except Exception:
        return _EMPTY
    if isinstance(node, (ast.Compare, ast.BoolOp, ast.UnaryOp)) or isinstance(value, bool):
        try:
            return bool(value)
        except Exception:
            return _EMPTY
    return value


_PURE_CALLS = ("len", "isinstance", "hasattr", "getattr", "tuple", "list", "int", "float", "bool", "abs",
               "min", "max", "sum", "all", "any")


def _reads_attribute_of(node: ast.expr, name: str) -> bool:
    return any(isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name
               for n in ast.walk(node))


def _assert_options(part: type, name: str, failing) -> Iterator[Tuple[str, Any]]:
    """Keywords of `part` that may make the failing tests true: its boolean parameters that
    feed the attributes tested, flipped; for `name.attr == expression`, the expression's value
    for a parameter that feeds `attr` and is not boolean (`out_dim=None` -> 8)."""
    try:
        params = {p.name: p for p in inspect.signature(part).parameters.values()
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY)}
    except (TypeError, ValueError):
        return
    feeds = _attribute_sources(part)
    for test, scope in failing:
        for node in ast.walk(test):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name:
                for source in feeds.get(node.attr, ()):
                    param = params.get(source)
                    if param is not None and isinstance(param.default, bool):
                        yield source, not param.default
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            for side, other in ((test.left, test.comparators[0]), (test.comparators[0], test.left)):
                if not (isinstance(side, ast.Attribute) and isinstance(side.value, ast.Name)
                        and side.value.id == name):
                    continue
                wanted = _evaluate(other, scope)
                if wanted is _EMPTY or isinstance(wanted, bool):
                    continue
                for source in feeds.get(side.attr, ()):
                    param = params.get(source)
                    if param is not None and not isinstance(param.default, bool):
                        yield source, wanted


def _attribute_sources(part: type) -> Dict[str, List[str]]:
    """`self.attr = expression` in the __init__s of `part` (and its bases): attr -> the names
    the expression reads, through the locals assigned before it (`default_out_dim = channels *
    (1 if not learned_variance else 2)`; `self.out_dim = default(out_dim, default_out_dim)`:
    out_dim, channels, learned_variance), in the order they appear."""
    out: Dict[str, List[str]] = {}
    for klass in getattr(part, "__mro__", ()):
        init = klass.__dict__.get("__init__")
        if init is None or klass.__module__.startswith("torch") or klass is object:
            continue
        tree = _function_tree(init)
        if tree is None:
            continue
        local: Dict[str, List[str]] = {}

        def names(expression) -> List[str]:
            found: List[str] = []
            for n in ast.walk(expression):
                if isinstance(n, ast.Name):
                    for one in local.get(n.id, []) + [n.id]:
                        if one not in found:
                            found.append(one)
            return found

        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    local[target.id] = names(node.value)
                elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id == "self" and target.attr not in out:
                    out[target.attr] = names(node.value)
    return out


# ----- configuration objects --------------------------------------------------------------------
_SIZE_FIELDS = re.compile(r"(n_layers?|num_layers?|num_hidden_layers|depth|n_head|num_heads|num_attention_heads|"
                          r"n_embd|n_embed|hidden_size|d_model|dim|embed_dim|intermediate_size|dim_feedforward|"
                          r"vocab_size|block_size|max_position_embeddings|n_positions|n_ctx|seq_len|"
                          r"max_seq_len|num_classes|d_ff|ffn_dim|mlp_dim|image_size|img_size|patch_size|"
                          r"num_channels|hidden_dim|n_layer)$")
_TYPE_FIELDS = re.compile(r"(model_type|model_name|arch|variant|size_name|preset)$")


def config_instance(kind: type):
    """An instance of a configuration class built from its defaults, or None."""
    if not isinstance(kind, type) or _is_module_class(kind):
        return None
    for maker in ("get_default_config", "default_config", "default", "defaults"):
        method = getattr(kind, maker, None)
        if callable(method) and not _required(method):
            try:
                return method()
            except Exception:
                pass
    if dataclasses.is_dataclass(kind) or kind.__name__.lower().endswith(("config", "cfg", "args", "params")):
        if not _required(kind):
            try:
                return kind()
            except Exception:
                return None
    return None


def shipped_config(cls, name: str, usage: Usage):
    """The configuration the code ships for `cls`'s parameter `name`: `cls.get_default_config()`,
    Hugging Face's `cls.config_class()`, a `*Config` class of the same module, or another class's
    `get_default_config()` there (minGPT's GPT serves its Block)."""
    for maker in ("get_default_config", "default_config"):
        method = getattr(cls, maker, None)
        if callable(method) and not _required(method):
            try:
                return method()
            except Exception:
                pass
    module_globals = getattr(getattr(cls, "__init__", None), "__globals__", {})
    config_class = getattr(cls, "config_class", None)
    if isinstance(config_class, type):
        found = config_instance(config_class)
        if found is not None:
            return found
    prefix = cls.__name__.lower()
    matches = []
    for value in module_globals.values():
        if isinstance(value, type) and not _is_module_class(value) and \
                re.search(r"(config|cfg|args|params|options)$", value.__name__, re.I):
            if getattr(value, "__module__", None) != cls.__module__:
                continue
            fields = _fields(value)
            overlap = len(set(usage.attrs) & fields)
            matches.append((value.__name__.lower().startswith(prefix), overlap, value))
    for _, _, kind in sorted(matches, key=lambda m: (m[0], m[1]), reverse=True):
        found = config_instance(kind)
        if found is not None:
            return found
    for value in list(module_globals.values()):  # GPT.get_default_config() serves its Block too
        method = getattr(value, "get_default_config", None) if isinstance(value, type) else None
        if callable(method) and value is not cls and getattr(value, "__module__", None) == cls.__module__ \
                and not _required(method):
            try:
                return method()
            except Exception:
                pass
    return None


def _fields(kind: type) -> set:
    if dataclasses.is_dataclass(kind):
        return {f.name for f in dataclasses.fields(kind)}
    return {n for n in vars(kind) if not n.startswith("_")}


_MAPPING_METHODS = {"get", "items", "keys", "values", "update", "pop", "setdefault", "copy"}


class attribute_bag:  # noqa: N801 - reads as a value
    """A stand-in config: `config.n_embd` etc. answered by name, for code that reads attributes
    of an object no class of the file describes. Its parts read by key or attribute are bags
    too (ViT-pytorch's `config.transformer["num_heads"]`, `config.resnet.num_layers`), whose
    names are read with the part's first (`patches` + `size`: a patch size)."""

    def __init__(self, names: Sequence[str], profile: int, uses: Optional[Dict[str, "Usage"]] = None,
                 prefix: str = ""):
        self._profile, self._prefix = profile, prefix
        for name in names:
            value = _attribute_value(name, profile, (uses or {}).get(name), prefix)
            if value is not _EMPTY and name not in _MAPPING_METHODS:
                setattr(self, name, value)

    def __getattr__(self, name: str):  # read by a part the config is passed on to
        value = _qualified(name, self.__dict__.get("_profile", 0), self.__dict__.get("_prefix", "")) \
            if not name.startswith("_") else _EMPTY
        if value is _EMPTY:
            raise AttributeError(name)
        return value

    def __getitem__(self, key):
        try:
            return getattr(self, key) if isinstance(key, str) else self.__dict__[key]
        except AttributeError:
            raise KeyError(key) from None

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and not key.startswith("_") and key in self.__dict__

    def get(self, key, default=None):  # what `.get` reads may be absent (`patches.get("grid")`: None)
        return self.__dict__.get(key, default) if isinstance(key, str) and not key.startswith("_") else default

    def keys(self):
        return [k for k in self.__dict__ if not k.startswith("_")]

    def __repr__(self) -> str:
        return "config(" + ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_")) + ")"


def _qualified(name: str, profile: int, prefix: str) -> Any:
    """By the name within its part first (`patches["size"]`: patch_size), then by itself."""
    if prefix:
        value = by_name(f"{re.sub(r'(es|s)$', '', prefix)}_{name}", profile)
        if value is not _EMPTY:
            return value
    return by_name(name, profile)


def _attribute_value(name: str, profile: int, use: Optional[Usage], prefix: str = "") -> Any:
    """A value for `config.<name>`: by its name, else by its use (tacotron2's `hparams.fp16_run`
    tested by `if`: False; `hparams.gate_threshold` compared with `>`: a number; ViT-pytorch's
    `config.transformer["num_heads"]`: a part read by key, a bag of its own)."""
    value = _qualified(name, profile, prefix)
    if use is None:
        return value
    if value is _EMPTY and not use.kinds and not use.attrs:
        return None  # only kept (`self.fp16_run = hparams.fp16_run`), never read here
    if "bool" in use.kinds and not use.kinds & {"iter", "int", "number", "attr", "call", "arg", "mapping"}:
        return False  # only tested (`if self.mask_padding:`), whatever its name says
    if "str" in use.kinds and use.strings:
        return use.strings[0]  # `config.classifier == "token"`
    if "mapping" in use.kinds or (value is _EMPTY and set(use.attrs) - _MAPPING_METHODS):
        keys = [key for key in dict.fromkeys(use.keys + use.attrs) if key not in _MAPPING_METHODS
                and not (key in use.optional and key not in use.attrs)]  # `.get("grid")`: may be absent: is
        return attribute_bag(keys, profile, {**use.items, **use.attr_uses}, name)
    if value is _EMPTY:
        value = next((found for alias in use.passed for found in [by_name(alias, profile)]
                      if found is not _EMPTY and not isinstance(found, bool)), _EMPTY)
    if value is _EMPTY:
        return _item_value(name, profile, use)
    return _sized(name, value, use)


def _is_config_object(value: Any) -> bool:
    return isinstance(value, attribute_bag) or type(value).__name__.lower().endswith(("config", "cfg", "node"))


def fill_and_shrink(config: Any, profile: int) -> Tuple[Any, List[str]]:
    """A copy of a configuration object with missing sizes (None) filled and large ones shrunk,
    and what changed ("n_layer 12 -> 1")."""
    try:
        config = copy.deepcopy(config)
        names = list(vars(config))
    except Exception:
        return config, []
    changes = []
    for key in names:
        value = getattr(config, key, None)
        small = by_name(key, profile)
        if small is _EMPTY or isinstance(small, bool):
            continue
        if value is None and not key.startswith("_"):
            try:
                setattr(config, key, small)
            except Exception:
                continue
            changes.append(f"{key} None -> {small}")
        elif (isinstance(value, int) and not isinstance(value, bool) and _SIZE_FIELDS.search(key)
              and isinstance(small, int) and value > small):
            try:
                setattr(config, key, small)
            except Exception:
                continue
            changes.append(f"{key} {value} -> {small}")
    if changes:
        for key in names:
            old = getattr(config, key, None)
            if _TYPE_FIELDS.search(key) and isinstance(old, str):  # a preset would override the sizes
                try:
                    setattr(config, key, None)
                except Exception:
                    continue
                changes.append(f"{key} {old!r} -> None")
    return config, changes


# ----- arguments passed on through *args / **kwargs -------------------------------------------
def forwarded_parameters(cls, depth: int = 0) -> List[Tuple[inspect.Parameter, Any]]:
    """The required parameters of what `cls.__init__` passes its `**kwargs` (and `*args`) on
    to, that the call does not fill itself: (parameter, the class or function that takes it).
    encodec's `NormConv1d(*args, **kwargs)` builds `nn.Conv1d(*args, **kwargs)`: in_channels,
    out_channels, kernel_size; denoising-diffusion's `LearnedGaussianDiffusion(model, *args,
    **kwargs)` calls `super().__init__(model, *args, **kwargs)`: GaussianDiffusion's
    image_size; a callee that passes its own `**kwargs` on is followed too (three deep). They
    are given by keyword, which `**kwargs` takes. Read from the AST; nothing runs."""
    init = _init_of(cls) or next((k.__dict__["__init__"] for k in getattr(cls, "__mro__", ())
                                  if "__init__" in k.__dict__ and k is not object), None)  # `class LSTM(nn.LSTM)`
    tree = _function_tree(init)
    if tree is None or tree.args.kwarg is None or depth > 2:
        return []
    star = tree.args.vararg.arg if tree.args.vararg else None
    stars = tree.args.kwarg.arg
    own = {a.arg for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs}
    scope = getattr(init, "__globals__", {})
    owner = next((k for k in getattr(cls, "__mro__", ()) if k.__dict__.get("__init__") is init), None)
    out: List[Tuple[inspect.Parameter, Any]] = []
    seen = set(own)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not any(
                k.arg is None and isinstance(k.value, ast.Name) and k.value.id == stars for k in node.keywords):
            continue
        callee = _callee(node.func, scope, cls, owner)
        if callee is None:
            continue
        try:
            params = list(inspect.signature(callee).parameters.values())
        except (TypeError, ValueError):
            continue
        if any(isinstance(a, ast.Starred) and not (isinstance(a.value, ast.Name) and a.value.id == star)
               for a in node.args):
            continue  # `*other`: how many it fills is unknown
        filled = len([a for a in node.args if not isinstance(a, ast.Starred)])
        named = {k.arg for k in node.keywords if k.arg}
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        taken = {p.name for p in positional[:filled]} | named
        for param in params:
            if param.kind == param.VAR_KEYWORD and isinstance(callee, type):
                for further, kind in forwarded_parameters(callee, depth + 1):
                    if further.name not in seen and further.name not in taken:
                        seen.add(further.name)
                        out.append((further, kind))
            if param.default is not _EMPTY or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD,
                                                              param.POSITIONAL_ONLY):
                continue
            if param.name in taken or param.name in seen:
                continue
            seen.add(param.name)
            out.append((param, callee))
    return out


def _callee(func, scope: Dict[str, Any], cls, owner) -> Any:
    """The class or function a call in `__init__` calls: `super().__init__` -> the next class
    after `owner` in the MRO (its `__init__`'s parameters), `nn.Conv1d` or `Inner` -> the global
    it names; None for anything else (a local, a method of self)."""
    if isinstance(func, ast.Attribute) and func.attr == "__init__" and isinstance(func.value, ast.Call) \
            and getattr(func.value.func, "id", "") == "super" and owner is not None:
        mro = list(cls.__mro__)  # the next class that defines __init__ (vit-pytorch's DistillableViT(DistillMixin,
        later = mro[mro.index(owner) + 1:] if owner in mro else []  # ViT): ViT's, not the mixin's object.__init__
        after = next((k for k in later if "__init__" in k.__dict__), object)
        return after if after is not object else None
    if isinstance(func, ast.Name):
        value = scope.get(func.id)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id != "self":
        value = getattr(scope.get(func.value.id), func.attr, None)
    else:
        return None
    return value if isinstance(value, type) or inspect.isfunction(value) else None


def _forwarded_value(callee, param: inspect.Parameter, profile: int, depth: int) -> Any:
    """A guess for a parameter of `callee` that reaches it through `**kwargs`: as `callee`
    itself would guess it (its own use of it, when it is user code)."""
    if isinstance(callee, type) and not callee.__module__.startswith("torch"):
        return guess_value(callee, param, init_usage(callee).get(param.name, Usage()), profile, depth)
    value = by_name(param.name, profile)
    return _EMPTY if isinstance(value, bool) else value


# ----- the candidates ---------------------------------------------------------------------------
def candidates(cls, depth: int = 0) -> Iterator[Candidate]:
    """Ways to call `cls(...)`, best first: defaults and guesses per profile, distinct."""
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        yield Candidate()
        return
    usage = init_usage(cls)
    seen = []
    for profile in range(PROFILES):
        candidate = Candidate()
        complete = True
        for index, param in enumerate(params):
            if param.kind == param.VAR_POSITIONAL and index == 0 and depth < 2:
                # `Sequential(*fns)` asserting `isinstance(fn, QUANTIZERS) for fn in fns`: one of those
                for kind in _asserted_classes(cls, param.name):
                    built = _build_nested(kind, depth)
                    if built is not None:
                        candidate.args += (built,)
                        candidate.guessed[f"*{param.name}"] = built
                        break
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if param.default is not _EMPTY:
                if _is_config_object(param.default) or dataclasses.is_dataclass(param.default):
                    value, changes = fill_and_shrink(param.default, profile)
                    if changes:
                        candidate.kwargs[param.name] = value
                        candidate.notes.append(f"{param.name}: {', '.join(changes)}")
                elif param.default is None and profile > 0:  # `seq_len=None` that the code needs after all
                    used = usage.get(param.name, Usage())
                    if used.kinds & {"module", "call"}:  # `shared_block=None` called in forward: a module
                        value = guess_value(cls, param, used, profile - 1, depth)
                    else:  # `hidden_dims: List = None` iterated: a sequence
                        value = _sized(param.name, by_name(param.name, profile - 1), used)
                    if value is not _EMPTY and not isinstance(value, bool):
                        candidate.kwargs[param.name] = value
                        candidate.guessed[param.name] = value
                continue
            value = guess_value(cls, param, usage.get(param.name, Usage()), profile, depth)
            if value is _EMPTY:
                complete = False
                candidate.guessed[param.name] = _EMPTY
                continue
            if _is_config_object(value) or dataclasses.is_dataclass(value):
                value, changes = fill_and_shrink(value, profile)
                if changes:
                    candidate.notes.append(f"shrunk {type(value).__name__} for `{param.name}`: {', '.join(changes)}")
            if param.kind == param.POSITIONAL_ONLY:
                candidate.args += (value,)
            else:
                candidate.kwargs[param.name] = value
            candidate.guessed[param.name] = value
        if not complete:
            yield candidate  # the builder reports what could not be guessed
            return
        callees = []
        if any(p.kind == p.VAR_KEYWORD for p in params):  # what **kwargs passes on needs
            for param, callee in forwarded_parameters(cls):
                if param.name not in candidate.kwargs:
                    value = _forwarded_value(callee, param, profile, depth)
                    if value is not _EMPTY and value is not None:
                        candidate.kwargs[param.name] = candidate.guessed[param.name] = value
                        callees += [callee] if isinstance(callee, type) and callee not in callees else []
        _fit_widths_to_defaults(params, candidate, candidate.guessed)
        _fit_images_to_patches(params, candidate)
        for part in [cls] + callees:
            _fit_to_groups(part, candidate)
        key = repr((candidate.args, sorted(candidate.kwargs.items(), key=lambda kv: kv[0])))
        if key in seen:
            continue
        seen.append(key)
        yield candidate


_PER_HEAD_NAME = re.compile(r"^(n_|num_)?heads?$|^n_?head$|^nhead|num_attention_heads|attn_heads|dim_?head|head_?dim")
_WIDTH_NAME = re.compile(r"^(dim|d_model|n_embd|n_embed|embed_dim|emb_dim|embedding_dim|hidden_size|hidden_dim|"
                         r"model_dim|dim_model|width)$")


def _fit_widths_to_defaults(params, candidate: Candidate, changed) -> None:
    """Guessed widths rounded up to a multiple of the head counts and head sizes the constructor
    keeps at their defaults (CCT's `embedding_dim` with `num_heads=12`: 48, not 32), so that
    `assert dim % heads == 0` holds."""
    divisors = [p.default for p in params if p.name not in candidate.kwargs and _PER_HEAD_NAME.search(p.name.lower())
                and isinstance(p.default, int) and not isinstance(p.default, bool) and p.default > 1]
    if not divisors:
        return
    step = math.lcm(*divisors)
    if step > 256:
        return
    for name, value in list(candidate.kwargs.items()):
        if name in changed and _WIDTH_NAME.match(name.lower()) and isinstance(value, int) \
                and not isinstance(value, bool) and value % step:
            candidate.kwargs[name] = step * -(-value // step)
            if name in candidate.guessed:
                candidate.guessed[name] = candidate.kwargs[name]


_DEPTH_NAME = re.compile(r"depths?$|layers?$|blocks?$|repeats?$|n_layer|num_layers|stages?$")
KEPT_DEPTH = 2  # a shrunk count of layers or blocks


def smaller_value(name: str, value: Any) -> Any:
    """A small value for a large size-named integer (`dim=1024` -> 32, `image_size=256` -> 32,
    `num_tokens=20000` -> 64, `depth=12` -> 2), or _EMPTY to keep it (a small or unnamed size)."""
    small = by_name(name, 0)
    if not (isinstance(value, int) and not isinstance(value, bool) and isinstance(small, int)
            and not isinstance(small, bool)):
        return _EMPTY
    if _DEPTH_NAME.search(name.lower()) and small <= KEPT_DEPTH:
        return KEPT_DEPTH if value > KEPT_DEPTH else _EMPTY
    return small if value > max(small, 16) else _EMPTY


def fit_widths(values: Dict[str, Any], shrunk: Sequence[str], kept: Dict[str, Any]) -> None:
    """Shrunk widths in `values` rounded up to a multiple of the head counts and head sizes in
    `kept` (the values not shrunk), so that `assert dim % heads == 0` still holds."""
    divisors = [value for name, value in kept.items() if name not in shrunk and _PER_HEAD_NAME.search(name.lower())
                and isinstance(value, int) and not isinstance(value, bool) and value > 1]
    step = math.lcm(*divisors) if divisors else 1
    if step <= 1 or step > 256:
        return
    for name in shrunk:
        value = values.get(name)
        if _WIDTH_NAME.match(name.lower()) and isinstance(value, int) and not isinstance(value, bool) and value % step:
            values[name] = step * -(-value // step)


_IMAGE_SIZE_NAME = re.compile(r"^(image|img|input)_?(size|res|resolution)$")
_PATCH_SIZE_NAME = re.compile(r"patch_?size$")  # not `local_patch_kernel_size` (XCiT's 3)


def _fit_images_to_patches(params, candidate: Candidate) -> None:
    """A guessed image size rounded up to a multiple of the patch sizes left at their defaults
    (CrossViT's `sm_patch_size=12` and `lg_patch_size=16`: 48, not 32), so that `assert
    image_size % patch_size == 0` holds."""
    patches = [p.default for p in params if p.name not in candidate.kwargs and _PATCH_SIZE_NAME.search(p.name.lower())
               and isinstance(p.default, int) and not isinstance(p.default, bool) and p.default > 1]
    if not patches or math.lcm(*patches) > 64:
        return
    step = math.lcm(*patches)
    for name, value in list(candidate.kwargs.items()):
        if name in candidate.guessed and _IMAGE_SIZE_NAME.match(name.lower()) and isinstance(value, int) \
                and not isinstance(value, bool) and value % step:
            candidate.kwargs[name] = candidate.guessed[name] = step * -(-value // step)


_SPATIAL_SIZE_NAME = re.compile(r"(image|img|input)_?(size|res|resolution|shape)$|^resolution$|patch|window|kernel|"
                                r"stride|pool|^size$")  # what shrink_defaults(spatial=False) keeps


def shrink_defaults(cls, candidate: Candidate, spatial: bool = True) -> Optional[Candidate]:
    """The candidate with large size-named defaults replaced by small values (for the size guard).
    `spatial=False`: its widths, depths and counts only, the input and kernel sizes as written
    (stargan's Discriminator: a kernel of `image_size / 2 ** repeat_num`)."""
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return None
    smaller = Candidate(candidate.args, dict(candidate.kwargs), dict(candidate.guessed), list(candidate.notes))
    changes = []
    for param in params:
        if param.default is _EMPTY or param.name in candidate.kwargs:
            continue
        if not spatial and _SPATIAL_SIZE_NAME.search(param.name.lower()):
            continue
        value, small = param.default, by_name(param.name, 0)
        if (isinstance(value, int) and not isinstance(value, bool) and isinstance(small, int)
                and not isinstance(small, bool) and value > max(small, 16)):
            smaller.kwargs[param.name] = small
            changes.append(f"{param.name} {value} -> {small}")
    if not changes:
        return None
    shrunk = [change.split(" ")[0] for change in changes]
    before = {name: smaller.kwargs[name] for name in shrunk}
    _fit_widths_to_defaults(list(params), smaller, shrunk)
    changes = [change if smaller.kwargs[name] == before[name] else change.replace(f"-> {before[name]}",
               f"-> {smaller.kwargs[name]}") for change, name in zip(changes, shrunk)]
    smaller.notes.append(f"shrunk defaults: {', '.join(changes)}")
    return smaller


def count_parameters(cls, candidate: Candidate) -> Optional[int]:
    """Parameters and buffer values the candidate makes, counted on a build whose weight
    initialisation is switched off (allocating uninitialised memory touches almost none of it,
    so a model of billions of parameters is counted in moments); None when it does not build."""
    try:
        with _no_init():
            model = candidate.call(cls)
        if not _is_module(model):
            return None
        return sum(p.numel() for p in model.parameters()) + sum(b.numel() for b in model.buffers())
    except BaseException as exc:  # noqa: BLE001 - any failure: unknown size (the real build says why)
        if isinstance(exc, KeyboardInterrupt):
            raise
        return None


_RANDOM_FILLS = ("normal_", "uniform_", "random_", "exponential_", "geometric_", "log_normal_", "cauchy_")


class _no_init:  # noqa: N801 - used as a context manager
    """torch.nn.init's functions and the tensor methods that fill with random values do nothing."""

    def __enter__(self):
        import torch

        self.saved = []  # (owner, name, what its own __dict__ held: None when it inherited it)
        names = [(torch.nn.init, name) for name in dir(torch.nn.init)
                 if name.endswith("_") and not name.startswith("_") and callable(getattr(torch.nn.init, name))]
        for owner, name in names + [(torch.Tensor, name) for name in _RANDOM_FILLS]:
            self.saved.append((owner, name, vars(owner).get(name)))
            setattr(owner, name, _keep)
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, value in self.saved:
            if value is None:
                delattr(owner, name)  # inherited (Tensor from TensorBase): nothing of ours stays
            else:
                setattr(owner, name, value)


def _keep(tensor, *args, **kwargs):
    return tensor


# ----- helpers ----------------------------------------------------------------------------------
def _required(func) -> bool:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.default is _EMPTY and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def _is_module(value: Any) -> bool:
    return _is_module_class(type(value))


def _is_module_class(kind: Any) -> bool:
    try:
        from torch import nn

        return isinstance(kind, type) and issubclass(kind, nn.Module)
    except Exception:
        return False
