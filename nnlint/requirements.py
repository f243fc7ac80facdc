"""Which torch versions a project supports, from what it declares.

Some findings depend on the oldest torch the code must run on (`torch.load` loads weights only
by default from 2.6; a replacement API may not exist yet in the oldest version supported). The
project says so in its metadata, read from the file's folder upwards (stopping after the folder
that holds `.git`, and at `site-packages`); the first folder that declares a `torch` requirement wins, and in it:

1. `pyproject.toml`: `[project] dependencies` and `optional-dependencies`, `[dependency-groups]`,
   Poetry's `[tool.poetry.dependencies]` and groups;
2. `setup.cfg`: `[options] install_requires` and `[options.extras_require]`;
3. `setup.py`: the `install_requires=` / `extras_require=` of `setup(...)`, literal lists or
   names bound to them;
4. `requirements*.txt` and `requirements/*.txt`, only when none of the above names torch:
   they pin an environment rather than state what the package supports.

The floor is the lowest lower bound among the torch requirements found (`>=`, `~=`, `==`, `>`,
Poetry's `^`/`~`), or none when one of them has no lower bound. `[tool.nnlint] torch-version`
overrides the guess. Nothing here imports torch or raises on odd files.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import sys
from dataclasses import dataclass
from typing import Callable, FrozenSet, Iterator, List, Optional, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Version = Tuple[int, ...]
ReadText = Callable[[str], Optional[str]]


@dataclass(frozen=True)
class TorchRange:
    """The torch versions a project declares."""

    floor: Optional[Version]  # the oldest torch allowed; None: no lower bound
    spec: str  # as written: ">=2.6", "torch>=2.1; torch==2.6.0"
    source: str  # where it was read, for --verbose

    def at_least(self, version: Version) -> bool:
        """Does every allowed torch have at least `version`?"""
        return self.floor is not None and self.floor >= version

    def __str__(self) -> str:
        return f"{self.spec} (from {self.source})"


_VERSION = re.compile(r"\s*v?(\d+(?:\.\d+)*)")
_SPECIFIER = re.compile(r"\s*(===|~=|==|!=|<=|>=|<|>|\^|~)?\s*([^,\s]+)")
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", re.S)
_LOWER = ("===", "~=", "==", ">=", ">", "^", "~", None)  # a bare version means ==


def parse_version(text: str) -> Optional[Version]:
    """`2.6.0+cu121` -> (2, 6): trailing zeros dropped, so that versions compare as tuples."""
    match = _VERSION.match(text)
    if match is None:
        return None
    parts = [int(part) for part in match.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def floor_of(specifiers: str) -> Optional[Version]:
    """The lower bound of a specifier list (`>=2.1,<3`, `^2.1`, `2.6.*`), or None."""
    floors = []
    for piece in specifiers.split(","):
        if not piece.strip():
            continue
        match = _SPECIFIER.match(piece)
        if match is None:
            continue
        operator, version = match.groups()
        if operator in _LOWER:
            parsed = parse_version(version)
            if parsed is not None:
                floors.append(parsed)
    return max(floors) if floors else None


def parse_torch_range(text: str, source: str) -> TorchRange:
    """`[tool.nnlint] torch-version`: a version ("2.6": the floor) or specifiers (">=2.6,<3");
    ValueError when it gives no lower bound."""
    floor = floor_of(text.strip())
    if floor is None:
        raise ValueError(f"{text!r} is not a torch version or a lower bound such as '>=2.6'")
    return TorchRange(floor, text.strip(), source)


def torch_requirement_floor(requirement: str) -> Tuple[bool, Optional[Version]]:
    """(is it a torch requirement, its floor) for a PEP 508 string (`torch[cuda]>=2.1; python_version>"3.8"`)."""
    match = _NAME.match(requirement.split(";", 1)[0])
    if match is None or re.sub(r"[-_.]+", "-", match.group(1).lower()) != "torch":
        return False, None
    rest = match.group(3).strip()
    if rest.startswith("@"):
        return True, None  # a URL: which version is not said
    return True, floor_of(rest.strip("()"))


INSTALLED = ("site-packages", "dist-packages")  # an installed package is not the project around it


def declared_torch_range(folder: str, read_text: ReadText) -> Tuple[Optional[TorchRange], FrozenSet[str]]:
    """The torch range declared for code in `folder`, and the metadata files read to find it
    (or looked for: a file created there may change the answer)."""
    read: List[str] = []
    while True:
        found = _declared_in(folder, read_text, read)
        if found is not None:
            return found, frozenset(read)
        parent = os.path.dirname(folder)
        if parent == folder or os.path.exists(os.path.join(folder, ".git")) \
                or os.path.basename(parent) in INSTALLED:
            return None, frozenset(read)
        folder = parent


def _declared_in(folder: str, read_text: ReadText, read: List[str]) -> Optional[TorchRange]:
    for name, reader in (("pyproject.toml", _pyproject), ("setup.cfg", _setup_cfg), ("setup.py", _setup_py)):
        path = os.path.join(folder, name)
        read.append(path)  # missing ones too: a file created there may declare a range
        if os.path.isfile(path):
            found = _combine(reader(read_text(path) or ""), path)
            if found is not None:
                return found
    requirements = []
    for path in _requirements_files(folder):
        read.append(path)
        requirements += [(line, os.path.relpath(path, folder)) for line in _requirement_lines(read_text(path) or "")]
    return _combine(requirements, os.path.join(folder, "requirements*.txt"))


def _combine(requirements: List[Tuple[str, str]], path: str) -> Optional[TorchRange]:
    """One range from (requirement, where) pairs: the lowest floor of the torch ones."""
    torch = []
    for requirement, where in requirements:
        is_torch, floor = torch_requirement_floor(requirement)
        if is_torch:
            torch.append((floor, requirement.strip(), where))
    if not torch:
        return None
    floors = [floor for floor, _, _ in torch]
    floor = None if None in floors else min(floors)
    wheres = ", ".join(dict.fromkeys(where for _, _, where in torch))
    spec = "; ".join(dict.fromkeys(requirement for _, requirement, _ in torch))
    return TorchRange(floor, spec, f"{path}: {wheres}" if wheres else path)


# ----- the metadata files ----------------------------------------------------------------------------
def _pyproject(text: str) -> List[Tuple[str, str]]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return []
    found: List[Tuple[str, str]] = []
    project = _table(data.get("project"))
    found += [(r, "project.dependencies") for r in _strings(project.get("dependencies"))]
    for group, values in _table(project.get("optional-dependencies")).items():
        found += [(r, f"project.optional-dependencies.{group}") for r in _strings(values)]
    for group, values in _table(data.get("dependency-groups")).items():
        found += [(r, f"dependency-groups.{group}") for r in _strings(values)]
    poetry = _table(_table(data.get("tool")).get("poetry"))
    tables = [("tool.poetry.dependencies", _table(poetry.get("dependencies")))]
    tables += [(f"tool.poetry.group.{name}.dependencies", _table(_table(group).get("dependencies")))
               for name, group in _table(poetry.get("group")).items()]
    for where, table in tables:
        for name, value in table.items():
            if name.lower() == "torch":
                for version in _poetry_versions(value):
                    found.append((f"torch {version}" if version != "*" else "torch", where))
    return found


def _poetry_versions(value) -> Iterator[str]:
    """`"^2.1"`, `{version = "^2.1", ...}` or a list of such tables (one per platform)."""
    for item in value if isinstance(value, list) else [value]:
        version = item.get("version") if isinstance(item, dict) else item
        yield version if isinstance(version, str) else "*"


def _setup_cfg(text: str) -> List[Tuple[str, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    found = []
    if parser.has_option("options", "install_requires"):
        found += [(r, "options.install_requires")
                  for r in _requirement_lines(parser.get("options", "install_requires"))]
    if parser.has_section("options.extras_require"):
        for group, value in parser.items("options.extras_require"):
            found += [(r, f"options.extras_require.{group}") for r in _requirement_lines(value)]
    return found


def _setup_py(text: str) -> List[Tuple[str, str]]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lists = {}  # module-level `REQUIRED = [...]`
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            lists[stmt.targets[0].id] = stmt.value
    found: List[Tuple[str, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _call_name(node.func).endswith("setup")):
            continue
        for keyword in node.keywords:
            value = lists.get(keyword.value.id, keyword.value) if isinstance(keyword.value, ast.Name) \
                else keyword.value
            if keyword.arg == "install_requires":
                found += [(r, "install_requires") for r in _literal_strings(value)]
            elif keyword.arg == "extras_require" and isinstance(value, ast.Dict):
                for key, extra in zip(value.keys, value.values):
                    group = key.value if isinstance(key, ast.Constant) else "?"
                    extra = lists.get(extra.id, extra) if isinstance(extra, ast.Name) else extra
                    found += [(r, f"extras_require.{group}") for r in _literal_strings(extra)]
    return found


def _requirements_files(folder: str) -> List[str]:
    found = []
    for base, pattern in ((folder, re.compile(r"requirements.*\.txt$")),
                          (os.path.join(folder, "requirements"), re.compile(r".*\.txt$"))):
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        found += [os.path.join(base, n) for n in names
                  if pattern.match(n) and os.path.isfile(os.path.join(base, n))]
    return found


def _requirement_lines(text: str) -> List[str]:
    lines = []
    for line in text.splitlines():
        line = re.split(r"\s#", line.strip(), maxsplit=1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


def _table(value) -> dict:
    return value if isinstance(value, dict) else {}


def _strings(value) -> List[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _literal_strings(node: ast.AST) -> List[str]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""
