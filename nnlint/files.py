"""Paths on the command line -> the Python files to check."""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from typing import List, Optional, Set, Tuple

from nnlint.config import DEFAULT_EXCLUDE, Settings


@dataclass
class Discovery:
    files: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)  # paths that do not exist


def discover(paths: List[str], settings: Settings, shard: Optional[Tuple[int, int]] = None) -> Discovery:
    """Every `*.py` under `paths` (a file named explicitly is checked whatever its suffix).

    Folders in DEFAULT_EXCLUDE are skipped while walking; the user's `exclude` globs apply to
    explicit files too, so a pre-commit hook that passes file names respects them. Symlinked
    folders are followed once each (a symlink loop is walked no further).
    """
    found = Discovery()
    seen: Set[str] = set()
    for path in paths:
        if not os.path.exists(path):
            found.missing.append(path)
            continue
        if os.path.isdir(path):
            candidates = _walk(path, settings)
        else:
            candidates = [path]
        for candidate in candidates:
            real = os.path.realpath(candidate)
            if real in seen or settings.is_excluded(candidate):
                continue
            seen.add(real)
            found.files.append(os.path.normpath(candidate))
    found.files.sort()
    if shard is not None:
        index, count = shard
        found.files = [f for f in found.files if in_shard(settings.relative(f), index, count)]
    return found


def display_path(path: str) -> str:
    """A path relative to the current folder when it is below it, else as given."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def in_shard(relative_path: str, index: int, count: int) -> bool:
    """Shard K of N (1-based): a stable hash of the path, the same on every machine."""
    return zlib.crc32(relative_path.encode("utf-8")) % count == index - 1


def _walk(root: str, settings: Settings) -> List[str]:
    files: List[str] = []
    visited_dirs: Set[str] = set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in visited_dirs:
            dirs[:] = []
            continue
        visited_dirs.add(real)
        dirs[:] = sorted(
            d for d in dirs
            if d not in DEFAULT_EXCLUDE and not d.endswith(".egg-info")
            and not settings.is_excluded(os.path.join(folder, d))
        )
        files.extend(os.path.join(folder, n) for n in sorted(names) if n.endswith(".py"))
    return files
