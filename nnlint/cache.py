"""A content-hash cache of findings, so an unchanged tree is checked in a blink.

An entry is used only when everything its findings depend on is unchanged:

- the file's bytes (sha256),
- nnlint itself (its version and a fingerprint of its own source and data files, so a
  development checkout with edited rules never reads stale results),
- the rules selected for the file (selection, ignores and per-file ignores all end up there),
  and the `torch-version` setting,
- the other files the check read (nnlint.project: the files of imported classes, and the
  metadata that declares the torch version), by size and mtime.

Fix runs neither read nor write it. One JSON file per project; written atomically, so
concurrent runs (pre-commit's parallel batches) can only lose each other's new entries, never
corrupt the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional

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
        self.entries: Dict[str, dict] = {}
        self.dirty = False
        try:
            with open(directory / _FILE, encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("nnlint") == nnlint_fingerprint():
                self.entries = data["entries"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.entries = {}  # missing, stale or unreadable: start afresh

    @staticmethod
    def key(data_hash: str, codes: Iterable[str], torch_version: Optional[str] = None) -> str:
        text = f"{data_hash}|{','.join(sorted(codes))}|{torch_version or ''}"
        return hashlib.sha256(text.encode()).hexdigest()

    def lookup(self, path: str, key: str) -> Optional[List[Finding]]:
        entry = self.entries.get(os.path.abspath(path))
        if entry is None or entry["key"] != key:
            return None
        if any(file_stamp(dep) != stamp for dep, stamp in entry["deps"].items()):
            return None
        return [Finding.from_dict({**f, "path": path}) for f in entry["findings"]]

    def store(self, path: str, key: str, findings: List[Finding], deps: Iterable[str]) -> None:
        self.entries[os.path.abspath(path)] = {
            "key": key,
            "findings": [f.to_dict() for f in findings],
            "deps": {dep: file_stamp(dep) for dep in deps},
        }
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            gitignore = self.directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by nnlint\n*\n", encoding="utf-8")
            fd, temp = tempfile.mkstemp(prefix=".findings-", dir=self.directory)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"nnlint": nnlint_fingerprint(), "entries": self.entries}, handle)
            os.replace(temp, self.directory / _FILE)
        except OSError:
            pass  # a read-only tree: run without a cache rather than fail the check
