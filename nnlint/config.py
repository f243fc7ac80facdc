"""`[tool.nnlint]` in the nearest pyproject.toml, merged with the command line, -> Settings."""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field
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

_LIST_KEYS = ("select", "extend-select", "ignore", "exclude", "extend-exclude")
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
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    verify: dict = field(default_factory=dict)  # [tool.nnlint.verify], read by nnlint.verify
    torch_version: Optional[str] = None  # the torch versions supported (else inferred: nnlint.requirements)
    isolated: bool = False  # --isolated: no configuration, and no torch version read from metadata
    unsafe_fixes: bool = False  # --fix applies unsafe fixes too
    max_file_size: int = DEFAULT_MAX_FILE_BYTES  # bytes; 0: no limit

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
        extra = [c for pattern, codes in self.per_file_ignores.items()
                 if self.matches(path, pattern) for c in codes]
        return [rule for code, rule in all_rules().items()
                if not rule.always_reported and self.enabled(code, rule, extra)]

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
        return any(self.matches(path, pattern) for pattern in self.exclude)


def find_config(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml with a [tool.nnlint] table, from `start` upwards."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                if "nnlint" in _read_toml(candidate).get("tool", {}):
                    return candidate
            except ConfigError:
                return candidate  # a broken nearest config is reported, not skipped
    return None


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
                  start: Optional[Path] = None) -> Settings:
    """Settings from `config` (a path), or the nearest pyproject.toml, or defaults."""
    start = (start or Path.cwd()).resolve()
    if isolated:
        return Settings(root=start, isolated=True)
    path = Path(config).resolve() if config else find_config(start)
    if path is None:
        return Settings(root=start)
    if not path.is_file():
        raise ConfigError(f"{config}: config file not found")
    table = _read_toml(path).get("tool", {}).get("nnlint", {})
    return settings_from_table(table, path)


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
