"""The same input must give the same findings (issue 18): lint a corpus several ways and compare.

    python bench/determinism.py                       # transformers and torch's installed sources
    python bench/determinism.py --corpus torch --seed 7
    python bench/determinism.py --root path/to/torch/nn --corpus transformers --limit 400

Each way is a fresh process that checks every file with `--select ALL`, no findings cache, and
a new ProjectIndex: `-j 1` in path order, `-j 2` in path order, `-j 2` and `-j 1` in a shuffled
order (which changes both what one process resolved before a file and which worker gets it).
The findings (path, line, column, code, message) of every way must be identical; the script
prints the counts and the first differences, and exits 1 when there are any. Corpora come from
bench/run.py's prepare_corpora (the pinned transformers wheel, unzipped into bench/corpora/);
`--root DIR` adds any folder; `--limit N` checks only the first N files of each, in path order
(the other files are still read where the checked ones import from them).
Stdlib only; takes a few minutes per corpus on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import prepare_corpora, python_files  # noqa: E402  (bench/run.py)

WAYS = [("-j 1, path order", 1, None), ("-j 2, path order", 2, None),
        ("-j 2, shuffled", 2, "seed"), ("-j 1, shuffled", 1, "seed")]


def lint_one_way(root: str, jobs: int, seed, limit: int = 0) -> list:
    """In this process: the findings of every file under `root` (the first `limit` in path
    order), checked in the given order."""
    from nnlint.config import load_settings
    from nnlint.engine import check_files

    settings = load_settings(isolated=True)
    settings.select = ["ALL"]
    files = [str(p) for p in corpus_files(Path(root), limit)]
    if seed is not None:
        random.Random(seed).shuffle(files)
    results = check_files(files, settings, jobs=jobs)
    return sorted((f.path, f.line, f.column, f.code, f.message) for r in results for f in r.findings)


def corpus_files(root: Path, limit: int = 0) -> list:
    files = python_files(root)
    return files[:limit] if limit else files


def compare(name: str, root: Path, seed: int, limit: int = 0) -> bool:
    runs = {}
    for label, jobs, shuffled in WAYS:
        started = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--one", str(root), str(jobs),
                              str(seed if shuffled else ""), str(limit)], capture_output=True, text=True, check=True)
        runs[label] = [tuple(f) for f in json.loads(out.stdout)]
        print(f"{name}: {label}: {len(runs[label])} findings in {time.perf_counter() - started:.0f} s",
              flush=True)
    first_label, first = next(iter(runs.items()))
    same = True
    for label, found in runs.items():
        if found != first:
            same = False
            only_first, only_this = sorted(set(first) - set(found)), sorted(set(found) - set(first))
            print(f"{name}: {label} differs from {first_label}: {len(only_first)} missing, "
                  f"{len(only_this)} extra")
            for finding in (only_first + only_this)[:10]:
                print("   ", *finding)
    files = len(corpus_files(root, limit))
    print(f"{name}: {files} files, {'identical' if same else 'DIFFERENT'} findings in {len(runs)} ways")
    return same


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", choices=("transformers", "torch", "timm"))
    parser.add_argument("--root", action="append", default=[], help="a folder to check too")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files of each, in path order")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--one", nargs=4, metavar=("ROOT", "JOBS", "SEED", "LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        root, jobs, seed, limit = args.one
        print(json.dumps(lint_one_way(root, int(jobs), int(seed) if seed else None, int(limit))))
        return 0
    corpora = prepare_corpora(args.corpus or ([] if args.root else ["transformers", "torch"]))
    corpora.update((root, Path(root)) for root in args.root)
    same = [compare(name, root, args.seed, args.limit) for name, root in corpora.items()]
    return 0 if all(same) else 1


if __name__ == "__main__":
    sys.exit(main())
