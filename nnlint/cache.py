"""A content-hash cache of findings, so an unchanged tree is checked in a blink.

An entry is used only when everything its findings depend on is unchanged:

- the file's bytes (sha256),
- nnlint itself (its version and a fingerprint of its own source and data files, so a
  development checkout with edited rules never reads stale results),
- the rules selected for the file (selection, ignores and per-file ignores all end up there),
  and the `torch-version` setting,
- the other files the check read (nnlint.project: the files of imported classes, and the
  metadata that declares the torch version), by size and mtime.

Fix runs neither read nor write it. One JSON file per project, merged with what concurrent
runs (pre-commit's parallel batches) saved meanwhile and renamed into place, so it is never
half-written; entries of deleted files are dropped when it is written; what is read is
checked, and anything unexpected is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set

from nnlint import __version__
from nnlint.finding import Finding

CACHE_DIR = ".nnlint_cache"
_FILE = "findings-v1.json"


@lru_cache(maxsize=None)
def nnlint_fingerprint() -> str:
    """nnlint's version plus the size and mtime of each of its own files."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json"):
            stat = path.stat()
            digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_stamp(path: str) -> Optional[List[int]]:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


class FindingsCache:
    def __init__(self, directory: Path):
        self.directory = directory
        self.entries: Dict[str, dict] = _read_entries(directory / _FILE)
        self.stored: Set[str] = set()  # the paths whose entries this run wrote

    @staticmethod
    def key(data_hash: str, codes: Iterable[str], torch_version: Optional[str] = None) -> str:
        text = f"{data_hash}|{','.join(sorted(codes))}|{torch_version or ''}"
        return hashlib.sha256(text.encode()).hexdigest()

    def lookup(self, path: str, key: str) -> Optional[List[Finding]]:
        """The findings stored for this file under this key, if its dependencies are unchanged;
        None (a miss) for anything else, a damaged entry included."""
        entry = self.entries.get(os.path.abspath(path))
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        deps, stored = entry.get("deps"), entry.get("findings")
        if not isinstance(deps, dict) or not isinstance(stored, list) \
                or not all(_valid_finding(f) for f in stored):
            return None
        if entry.get("check") != _checksum(key, stored, deps):
            return None  # edited or damaged since it was written
        if any(file_stamp(dep) != stamp for dep, stamp in deps.items()):
            return None
        try:
            return [Finding.from_dict({**f, "path": path}) for f in stored]
        except (KeyError, TypeError, ValueError, AttributeError):  # a fix of the wrong shape
            return None

    def store(self, path: str, key: str, findings: List[Finding], deps: Iterable[str]) -> None:
        stored = [f.to_dict() for f in findings]
        stamps = {dep: file_stamp(dep) for dep in deps}
        self.entries[os.path.abspath(path)] = {
            "key": key, "findings": stored, "deps": stamps, "check": _checksum(key, stored, stamps),
        }
        self.stored.add(os.path.abspath(path))

    def save(self) -> None:
        """Write the entries back, over what concurrent runs saved meanwhile (theirs are kept
        unless this run re-checked the same file), as a whole new file renamed into place.
        Entries of files that no longer exist are dropped, so the cache does not grow forever."""
        if not self.stored:
            return
        temp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            gitignore = self.directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by nnlint\n*\n", encoding="utf-8")
            entries = _read_entries(self.directory / _FILE)
            entries.update((path, self.entries[path]) for path in self.stored)
            entries = {path: entry for path, entry in entries.items() if os.path.isfile(path)}
            fd, temp = tempfile.mkstemp(prefix=".findings-", dir=self.directory)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"nnlint": nnlint_fingerprint(), "entries": entries}, handle)
            os.replace(temp, self.directory / _FILE)
            temp = None
        except OSError:
            pass  # a read-only tree: run without a cache rather than fail the check
        finally:
            if temp is not None:  # failed or interrupted half-way: leave no partial file behind
                try:
                    os.unlink(temp)
                except OSError:
                    pass


def _read_entries(path: Path) -> Dict[str, dict]:
    """The entries of a cache file written by this very nnlint, else none. Each entry is
    checked when it is looked up."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block us
        with open(fd, encoding="utf-8") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return {}
            data = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return {}  # missing or unreadable: start afresh
    if isinstance(data, dict) and data.get("nnlint") == nnlint_fingerprint() \
            and isinstance(data.get("entries"), dict):
        return data["entries"]
    return {}


_POSITIONS = ("line", "column", "end_line", "end_column")
_TEXTS = ("code", "name", "message")
_CELL = ("cell", "file_line", "file_column")  # a notebook's finding: ints >= 1, or null
_FIELDS = {*_POSITIONS, *_TEXTS, *_CELL, "path", "severity", "fixable", "suggestion", "fix"}


def _valid_finding(data) -> bool:
    return (isinstance(data, dict) and data.keys() <= _FIELDS
            and all(type(data.get(k)) is int and data[k] >= 1 for k in _POSITIONS)
            and all(data.get(k) is None or (type(data[k]) is int and data[k] >= 1) for k in _CELL)
            and all(isinstance(data.get(k), str) for k in _TEXTS)
            and isinstance(data.get("suggestion", ""), str) and type(data.get("fixable")) is bool
            and data.get("severity") in ("error", "warning", "style")
            and isinstance(data.get("fix"), (dict, type(None))))


def _checksum(key: str, findings: list, deps: dict) -> str:
    """A digest of what an entry says, so a damaged or hand-edited entry reads as a miss, never
    as an answer that --no-cache would not give."""
    text = json.dumps([key, findings, deps], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
