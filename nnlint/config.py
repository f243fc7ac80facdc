"""`[tool.nnlint]` in the nearest pyproject.toml, merged with the command line, -> Settings.

Settings are per file, as in ruff and Fixit: each file gets those of the nearest
pyproject.toml with a `[tool.nnlint]` table above it (read once per file and once per
folder), with the command line's selection on top; the paths in a configuration are relative
to its own folder. `--config FILE` names one for every file, `--isolated` reads none. The
Settings a run starts from are those of the current folder; `for_path`, `rules_for` and
`is_excluded` answer for any other path.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Dict, Iterable, List, Optional, Sequence, Type

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from nnlint.exit_codes import ConfigError  # noqa: F401  (raised here; importers know it from here)
from nnlint.finding import Severity
from nnlint.requirements import parse_torch_range
from nnlint.rules import all_rules
from nnlint.rules.base import Rule
from nnlint.verify_config import parse_config as parse_verify_table

DEFAULT_EXCLUDE = (".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__",
                   "node_modules", "build", "dist", ".eggs", ".mypy_cache", ".nnlint_cache")

# The files a folder is searched for (ruff's default, less its stubs and pyproject.toml); a file
# named on the command line is checked whatever its name.
DEFAULT_INCLUDE = ("*.py", "*.ipynb")

_LIST_KEYS = ("select", "extend-select", "ignore", "exclude", "extend-exclude", "include", "extend-include")
_KNOWN_KEYS = set(_LIST_KEYS) | {"per-file-ignores", "unsafe-fixes", "verify", "torch-version",
                                  "max-file-size"}
# LibCST needs ~0.6-0.9 GB of memory per MB of code: past this size a file is refused with an
# NN000 rather than risk the machine (hand-written modules stay well under 1 MB).
DEFAULT_MAX_FILE_MB = 5
DEFAULT_MAX_FILE_BYTES = DEFAULT_MAX_FILE_MB * 1_000_000


@dataclass
class Settings:
    root: Path  # paths in the config are relative to this folder
    config_path: Optional[Path] = None
    select: Optional[List[str]] = None  # None: the default set (every E and W rule)
    extend_select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=list)  # user globs, on top of DEFAULT_EXCLUDE
    include: List[str] = field(default_factory=lambda: list(DEFAULT_INCLUDE))  # what folders are searched for
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    verify: dict = field(default_factory=dict)  # [tool.nnlint.verify], read by nnlint.verify
    torch_version: Optional[str] = None  # the torch versions supported (else inferred: nnlint.requirements)
    isolated: bool = False  # --isolated: no configuration, and no torch version read from metadata
    unsafe_fixes: bool = False  # --fix applies unsafe fixes too (the run's, see README)
    max_file_size: int = DEFAULT_MAX_FILE_BYTES  # bytes; 0: no limit
    # Where the settings of other paths come from (None: these apply to every path).
    resolver: Optional["SettingsResolver"] = field(default=None, repr=False, compare=False)

    def for_path(self, path: str) -> "Settings":
        """The settings for `path`: those of the nearest `[tool.nnlint]` above its folder, with
        the command line's overrides (these very settings under --config and --isolated)."""
        if self.resolver is None:
            return self
        return self.resolver.settings_for(os.path.dirname(os.path.abspath(path)))

    def validate(self) -> None:
        rules = all_rules()
        selectors = [("select", s) for s in self.select or ()]
        selectors += [("extend-select", s) for s in self.extend_select]
        selectors += [("ignore", s) for s in self.ignore]
        selectors += [("per-file-ignores", s) for v in self.per_file_ignores.values() for s in v]
        for key, selector in selectors:
            if selector == "ALL":
                continue
            matched = [rule for code, rule in rules.items() if code.startswith(selector)]
            if not matched:
                raise ConfigError(f"{key}: unknown rule code or prefix {selector!r}")
            if all(rule.always_reported for rule in matched):  # as ruff does for syntax errors
                raise ConfigError(f"{key}: {selector} cannot be selected or ignored: a file nnlint could "
                                  "not check is always reported (exclude the file to skip it)")

    def enabled(self, code: str, rule: Type[Rule], extra_ignore: Sequence[str] = ()) -> bool:
        """The most specific matching selector wins, as in ruff; on a tie, ignore wins."""
        def specificity(selectors: Iterable[str]) -> int:
            best = -1
            for s in selectors:
                if s == "ALL":
                    best = max(best, 0)
                elif code.startswith(s):
                    best = max(best, len(s))
            return best

        if self.select is None:
            chosen = 0 if rule.default_enabled() else -1
        else:
            chosen = specificity(self.select)
        chosen = max(chosen, specificity(self.extend_select))
        return chosen >= 0 and chosen > specificity(list(self.ignore) + list(extra_ignore))

    def rules_for(self, path: str) -> List[Type[Rule]]:
        """The rules to run on `path`, by the settings that apply to it."""
        settings = self.for_path(path)
        extra = [c for pattern, codes in settings.per_file_ignores.items()
                 if settings.matches(path, pattern) for c in codes]
        return [rule for code, rule in all_rules().items()
                if not rule.always_reported and settings.enabled(code, rule, extra)]

    def relative(self, path: str) -> str:
        try:
            return PurePosixPath(Path(os.path.abspath(path)).relative_to(self.root)).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def matches(self, path: str, pattern: str) -> bool:
        """A glob against the path relative to the config's folder; a pattern without a slash
        also matches any file or folder name along the path."""
        relative = self.relative(path)
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern.rstrip("/") + "/*"):
            return True
        return "/" not in pattern and any(fnmatch.fnmatch(part, pattern) for part in relative.split("/"))

    def is_excluded(self, path: str) -> bool:
        """Is `path` (a file or a folder) excluded by the settings of the folder holding it?"""
        settings = self.for_path(path)
        return any(settings.matches(path, pattern) for pattern in settings.exclude)

    def is_included(self, path: str) -> bool:
        """Whether a file found in a folder is checked: its name matches an `include` glob (a
        glob with a slash: its path relative to the config's folder)."""
        name = os.path.basename(path)
        return any(self.matches(path, pattern) if "/" in pattern else fnmatch.fnmatch(name, pattern)
                   for pattern in self.include)


@dataclass
class Overrides:
    """What the command line sets on top of every configuration."""

    select: Optional[List[str]] = None
    extend_select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)
    unsafe_fixes: Optional[bool] = None
    extend_include: List[str] = field(default_factory=list)

    def apply(self, settings: Settings) -> Settings:
        if self.select is not None:
            settings.select = list(self.select)
        settings.extend_select = settings.extend_select + self.extend_select
        settings.ignore = settings.ignore + self.ignore
        if self.unsafe_fixes is not None:
            settings.unsafe_fixes = self.unsafe_fixes
        settings.include = settings.include + self.extend_include
        return settings


class SettingsResolver:
    """The settings of each folder: the nearest pyproject.toml with `[tool.nnlint]` at or above
    it (defaults rooted at `default_root` when there is none), with the overrides applied.
    Every folder is looked up once, every configuration read once."""

    def __init__(self, default_root: Path, overrides: Overrides):
        self.default_root = default_root
        self.overrides = overrides
        self._folders: Dict[str, Settings] = {}
        self._defaults: Optional[Settings] = None

    def settings_for(self, folder: str) -> Settings:
        visited = []
        while folder not in self._folders:
            visited.append(folder)
            candidate = Path(folder) / "pyproject.toml"
            table = _nnlint_table(candidate)
            if table is not None:
                self._folders[folder] = self.overrides.apply(settings_from_table(table, candidate))
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                if self._defaults is None:
                    self._defaults = self.overrides.apply(Settings(root=self.default_root))
                self._folders[folder] = self._defaults
                break
            folder = parent
        found = self._folders[folder]
        for seen in visited:
            self._folders[seen] = found
        return found


def _nnlint_table(path: Path) -> Optional[dict]:
    """The `[tool.nnlint]` table of the pyproject.toml at `path`; None without one (a broken
    file is a ConfigError: the nearest configuration must not be skipped silently)."""
    if not path.is_file():
        return None
    tool = _read_toml(path).get("tool", {})
    return tool.get("nnlint") if isinstance(tool, dict) and "nnlint" in tool else None


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib descends once per nested array or inline table
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        line = exc.object.count(b"\n", 0, exc.start) + 1
        byte = exc.object[exc.start]
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 (line {line}, byte {byte:#x})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def load_settings(config: Optional[str] = None, isolated: bool = False,
                  start: Optional[Path] = None, overrides: Optional[Overrides] = None) -> Settings:
    """The settings of the folder `start` (default: the current one), resolving those of any
    other path per file (see Settings.for_path); or those of `config` (a path) for every
    file; or, `isolated`, the defaults for every file. `overrides` go on top of each."""
    start = (start or Path.cwd()).resolve()
    overrides = overrides or Overrides()
    if isolated:
        return overrides.apply(Settings(root=start, isolated=True))
    if config:
        path = Path(config).resolve()
        if not path.is_file():
            raise ConfigError(f"{config}: " + ("not a regular file" if path.exists() else "config file not found"))
        return overrides.apply(settings_from_table(_nnlint_table(path) or {}, path))
    resolver = SettingsResolver(start, overrides)
    return replace(resolver.settings_for(str(start)), resolver=resolver)


def settings_from_table(table: dict, path: Path) -> Settings:
    where = f"{path}: [tool.nnlint]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KNOWN_KEYS))})")
    for key in _LIST_KEYS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict) or not all(
            isinstance(v, list) and all(isinstance(c, str) for c in v) for v in per_file.values()):
        raise ConfigError(f"{where}: per-file-ignores must map globs to lists of codes")
    unsafe_fixes = table.get("unsafe-fixes", False)
    if not isinstance(unsafe_fixes, bool):
        raise ConfigError(f"{where}: unsafe-fixes must be true or false")
    verify = table.get("verify", {})
    parse_verify_table(verify, str(path), path.parent)  # a broken table fails every command
    torch_version = table.get("torch-version")
    if torch_version is not None:
        try:
            parse_torch_range(torch_version if isinstance(torch_version, str) else "", "")
        except ValueError:
            raise ConfigError(f"{where}: torch-version must be a version or a lower bound such as "
                              f"\">=2.6\", got {torch_version!r}") from None
    max_mb = table.get("max-file-size", DEFAULT_MAX_FILE_MB)
    if isinstance(max_mb, bool) or not isinstance(max_mb, (int, float)) or not 0 <= max_mb < 1e6:
        raise ConfigError(f"{where}: max-file-size must be a number of megabytes (0: no limit)")
    settings = Settings(
        root=path.parent,
        config_path=path,
        select=[s.strip().upper() for s in table["select"]] if "select" in table else None,
        extend_select=[s.strip().upper() for s in table.get("extend-select", [])],
        ignore=[s.strip().upper() for s in table.get("ignore", [])],
        exclude=list(table.get("exclude", [])) + list(table.get("extend-exclude", [])),
        include=list(table.get("include", DEFAULT_INCLUDE)) + list(table.get("extend-include", [])),
        per_file_ignores={k: [c.strip().upper() for c in v] for k, v in per_file.items()},
        verify=verify,
        torch_version=torch_version,
        unsafe_fixes=unsafe_fixes,
        max_file_size=int(max_mb * 1_000_000),
    )
    try:
        settings.validate()
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return settings


def parse_selectors(values: Optional[Sequence[str]]) -> Optional[List[str]]:
    """`--select NN1,NN301 --select NN4` -> ["NN1", "NN301", "NN4"]."""
    if values is None:
        return None
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]
