"""Paths on the command line -> the Python files to check."""

from __future__ import annotations

import os
import stat
import sys
import zlib
from dataclasses import dataclass, field
from typing import List, Optional, Set, Tuple

from nnlint.config import DEFAULT_EXCLUDE, Settings


@dataclass
class Discovery:
    files: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)  # paths that do not exist
    skipped: List[str] = field(default_factory=list)  # "path: why", for a warning on stderr

    def warn(self, stream=None) -> None:
        for line in self.skipped:
            print(f"nnlint: warning: {line}", file=stream or sys.stderr)


def discover(paths: List[str], settings: Settings, shard: Optional[Tuple[int, int]] = None) -> Discovery:
    """Every file under `paths` that the `include` setting names (`*.py` and `*.ipynb` unless
    configured; a file named explicitly is checked whatever its suffix).

    Only regular files are read: a FIFO, a socket or a device (named, or met in a folder) is
    skipped with a warning, as is a folder that cannot be listed. Folders in DEFAULT_EXCLUDE are
    skipped while walking; the user's `exclude` globs apply to explicit files too, so a
    pre-commit hook that passes file names respects them. Symlinked folders are followed once
    each (a symlink loop is walked no further).
    """
    found = Discovery()
    seen: Set[str] = set()
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            found.missing.append(path)
            continue
        if stat.S_ISDIR(mode):
            candidates = _walk(path, settings, found.skipped)
        elif stat.S_ISREG(mode):
            candidates = [path]
        else:
            found.skipped.append(f"{path}: {not_regular(mode)}, skipped")
            continue
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


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISDIR, "a folder"))


def not_regular(mode: int) -> str:
    """Why a file of this mode is not read: reading a FIFO or a device may never end."""
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"not a regular file ({kind})"


def _walk(root: str, settings: Settings, skipped: List[str]) -> List[str]:
    """Depth first, in name order, like `os.walk(root, followlinks=True)`, but an entry that
    `include` names (`*.py`, `*.ipynb`) is kept only if it is (or links to) a regular file, and
    what cannot be read is reported."""
    files: List[str] = []
    visited: Set[Tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in visited:  # a symlink loop, or a folder linked twice
                continue
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(f"{folder}: cannot read folder: {exc.strerror}, skipped")
            continue
        below = []
        for entry in entries:
            wanted = settings.is_included(entry.path)
            try:  # the kind comes from the listing itself; only links and odd files cost a stat
                if entry.is_dir():
                    if (entry.name not in DEFAULT_EXCLUDE and not entry.name.endswith(".egg-info")
                            and not settings.is_excluded(entry.path)):
                        below.append(entry.path)
                elif wanted and entry.is_file():
                    files.append(entry.path)
                elif wanted:
                    skipped.append(f"{entry.path}: {not_regular(entry.stat().st_mode)}, skipped")
            except OSError as exc:  # a broken link, a link loop
                if wanted:
                    skipped.append(f"{entry.path}: cannot read: {exc.strerror}, skipped")
        stack.extend(reversed(below))
    return files
