"""The Module classes of each file, from the engine's own pass over it (not a second parser),
and the worker targets that build them: one per file with Module classes, one per factories file.

A file's module name is its dotted import name: the folders above it that are packages (hold an
`__init__.py`) and the file's stem, imported with the folder above the top package on sys.path,
as pytest does. `fixtures/runtime/zoo.py` (no `__init__.py` around it) is `zoo`; models are
named `zoo:ListMLP`. In the configuration, the dotted path from the config's folder
(`fixtures.runtime.zoo:ListMLP`) names the same model.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Set, Tuple

from nnlint.config import Settings
from nnlint.engine import FileResult, check_file
from nnlint.files import display_path
from nnlint.finding import Finding
from nnlint.project import ProjectIndex
from nnlint.sources import kind_of
from nnlint.verify.build import VerifyConfig
from nnlint.verify.correlate import StaticFile
from nnlint.verify.supervisor import Target


MAX_FOLDER_FILES = 200  # files of a folder read for relative imports
MAX_READ = 1_000_000  # bytes of each
FILE_PROBLEM = "NN00"  # the codes of a file nnlint could not read or parse: no model of it can run


def module_name(path: str, root: Optional[str] = None) -> Tuple[str, str]:
    """(dotted import name, the folder to put on sys.path) of a Python file.

    A folder without `__init__.py` inside `root` whose files use relative imports (`from
    .configs import ...`) is a namespace package: its files are named from the root
    (`models.modeling`), as `python -c "import models.modeling"` run there would import them;
    imported by their stem alone, their relative imports could not work."""
    path = os.path.abspath(path)
    folder, filename = os.path.split(path)
    stem = filename[:-3] if filename.endswith(".py") else filename
    parts = [] if stem == "__init__" else [stem]
    if stem == "__init__":
        parts.insert(0, os.path.basename(folder))
        folder = os.path.dirname(folder)
    inside = os.path.join(os.path.abspath(root), "") if root else None
    needed = _relative_depth(folder) if inside else 0  # package folders the relative imports need
    while os.path.isfile(os.path.join(folder, "__init__.py")) or (
            len(parts) <= needed and os.path.join(folder, "").startswith(inside) and
            os.path.join(folder, "") != inside and os.path.basename(folder).isidentifier()):
        parts.insert(0, os.path.basename(folder))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return ".".join(parts), folder


def _script_folder(path: str) -> List[str]:
    """The file's own folder, as `python folder/file.py` would put it on sys.path, when that
    folder is not a package (a package's folder there would shadow the package itself by its
    module of the same name: perceiver_pytorch/perceiver_pytorch.py)."""
    folder = os.path.dirname(os.path.abspath(path))
    return [] if os.path.isfile(os.path.join(folder, "__init__.py")) else [folder]


_RELATIVE_IMPORT = re.compile(rb"^[ \t]*from[ \t]+(\.+)", re.M)


@lru_cache(maxsize=1024)
def _relative_depth(folder: str) -> int:
    """How many package levels the relative imports of a namespace folder's files reach
    (`from .x` 1, `from ..x` 2); 0 for a folder of scripts."""
    depth = 0
    try:
        names = sorted(os.listdir(folder))[:MAX_FOLDER_FILES]
    except OSError:
        return 0
    for name in names:
        if not name.endswith(".py"):
            continue
        try:
            with open(os.path.join(folder, name), "rb") as handle:
                text = handle.read(MAX_READ)
        except OSError:
            continue
        depth = max([depth] + [len(dots) for dots in _RELATIVE_IMPORT.findall(text)])
    return depth


def config_alias(path: str, root: Path) -> Optional[str]:
    """The dotted path of a file relative to the config's folder (`fixtures.runtime.zoo`)."""
    try:
        relative = PurePosixPath(Path(os.path.abspath(path)).relative_to(root))
    except ValueError:
        return None
    parts = list(relative.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or None


@dataclass
class Plan:
    targets: List[Target] = field(default_factory=list)  # factories first, then files
    static: Dict[str, StaticFile] = field(default_factory=dict)  # absolute path -> findings
    unused_specs: List[str] = field(default_factory=list)  # config names no file matched
    problems: List[Finding] = field(default_factory=list)  # files that cannot be read or parsed (NN00x)
    root: str = ""  # the project's root: files are named from it (module_name)
    factory_failures: bool = True  # report factories that fail (in one shard only)
    unverified: List[str] = field(default_factory=list)  # notebooks and Markdown files: not built (yet)


def static_file(path: str, result: FileResult) -> StaticFile:
    lines = result.source.text.splitlines() if result.source is not None else []
    return StaticFile(os.path.abspath(path), list(result.findings), lines)


def plan(files: List[str], settings: Settings, config: VerifyConfig, shard_index: int = 1) -> Plan:
    """Lint each file once (findings and Module classes), and make the workers' targets.

    Models are named `module:Class`; where two files have the same module name (`models.py` in
    several folders of scripts), `path/relative/to/root.py:Class` instead."""
    out = Plan(root=str(settings.root), factory_failures=shard_index == 1)
    used: Set[str] = set()
    root_path = str(settings.root)
    for factories in config.factories:
        module, import_root = module_name(factories, root_path)
        out.targets.append(Target(kind="factories", path=display_path(factories), module=module,
                                  sys_path=_unique([import_root, root_path])))
    project = ProjectIndex(settings)
    found = []
    for path in files:
        if kind_of(path) != "python":
            out.unverified.append(display_path(path))
            continue
        result = check_file(path, settings.rules_for(path), collect_classes=True, project=project,
                            max_bytes=settings.max_file_size)
        out.static[os.path.abspath(path)] = static_file(path, result)
        out.problems.extend(f for f in result.findings if f.code.startswith(FILE_PROBLEM))
        if result.module_classes:
            found.append((path, result, module_name(path, root_path)))
    repeated = Counter(module for _, _, (module, _) in found)
    for path, result, (module, import_root) in found:
        relative = settings.relative(path)
        label = relative if repeated[module] > 1 else module
        alias = config_alias(path, settings.root)
        specs = {}
        for name, spec in config.models.items():
            spec_module, cls = name.split(":", 1)
            if spec_module in (module, alias, relative, module_name(path)[0]):
                specs[f"{label}:{cls}"] = spec.to_dict()
                used.add(name)
        out.targets.append(Target(kind="file", path=path, module=module, label=label,
                                  sys_path=_unique([import_root, root_path] + _script_folder(path)),
                                  classes=[tuple(c) for c in result.module_classes], specs=specs))
    out.unused_specs = [name for name in config.models if name not in used]
    _add_usage(out.targets, files, root_path)
    return out


USAGE_SITES = 3  # per class: the best few, tried in order


def _add_usage(targets: List[Target], files: List[str], root: str) -> None:
    """How the checked files, the tests and the example scripts build and call each class."""
    from nnlint.verify import usage

    wanted = [(t.module, c[0]) for t in targets if t.kind == "file" for c in t.classes]
    sites = usage.collect(wanted, files, root, lambda path: module_name(path, root)[0])
    for target in targets:
        for name, *_ in target.classes:
            found = sites.get((target.module, name))
            if found:
                target.usage[f"{target.label}:{name}"] = [site.to_dict() for site in found[:USAGE_SITES]]


def _unique(items: List[str]) -> List[str]:
    seen: List[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen
