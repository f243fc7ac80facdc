"""`nnlint check`: one lint run, room by room.

    stdin (`-`) ----------------------------\
    paths -> discover -> cache -> engine ----> results -> fixes written -> output -> exit status

- `check_stdin`: the text piped in, checked under the name `--stdin-filename` gives it;
- `check_paths`: discovery (nnlint.files), the findings cache, the engine's pool;
- `write_fixes`: `--fix` writes each fixed file back, atomically;
- `render_output`: `--diff`, `--statistics` or the report, in the format `choose_format` picks;
- `exit_status`: 0 clean, 1 findings (or fixes to make, with `--diff`), 2 a usage error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from nnlint.cache import CACHE_DIR
from nnlint.config import Settings
from nnlint.exit_codes import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE
from nnlint.finding import Finding
from nnlint.report import RunSummary, emit, render
from nnlint.report.summary import plural
from nnlint.report.style import color_wanted, is_terminal

STDIN = "-"


def run_check(args, settings: Settings, shard: Optional[Tuple[int, int]]) -> int:
    started = time.perf_counter()
    fixing = args.fix or args.diff
    stdin_name = args.stdin_filename or STDIN
    paths = args.paths or ["."]
    results = []
    if STDIN in paths:
        paths = [p for p in paths if p != STDIN]
        result = check_stdin(stdin_name, settings, fix=fixing)
        if args.fix and not args.diff and result.fixed_text is not None:
            sys.stdout.write(result.fixed_text)  # stdin in, fixed source out, like ruff
        else:
            results.append(result)
    usage_error = False
    if paths:
        checked, usage_error = check_paths(paths, settings, shard, args, fix=fixing)
        results += checked

    summary = RunSummary(files=len(results), unsafe_fixes=settings.unsafe_fixes)
    if args.fix and not args.diff:
        summary.fixed_files = write_fixes(results, stdin_name)
        summary.fixed = sum(max(0, r.found_before_fix - len(r.findings)) for r in results if r.fixed_text)
    findings = sorted((f for r in results for f in r.findings), key=lambda f: f.sort_key)
    emit(render_output(args, results, findings, summary), args.output_file)
    if args.verbose:
        print(f"nnlint: checked {plural(len(results), 'file')} in {time.perf_counter() - started:.2f}s",
              file=sys.stderr)
    return exit_status(args, results, findings, usage_error)


# ----- what is checked ---------------------------------------------------------------------------
def check_stdin(name: str, settings: Settings, fix: bool):
    from nnlint.engine import check_bytes

    return check_bytes(sys.stdin.buffer.read(), name, settings.rules_for(name), fix=fix,
                       unsafe_fixes=settings.unsafe_fixes)


def check_paths(paths: Sequence[str], settings: Settings, shard, args, fix: bool):
    """The results of the files under `paths`, and whether a path was missing (a usage error,
    said on stderr; the other paths are still checked)."""
    from nnlint.engine import check_files
    from nnlint.files import discover

    found = discover(list(paths), settings, shard)
    for missing in found.missing:
        print(f"nnlint: error: {missing}: no such file or directory", file=sys.stderr)
    if args.verbose:
        describe_run(settings, found.files, shard)
    cache = None if args.no_cache or fix else open_cache(args.cache_dir, settings)
    return check_files(found.files, settings, fix=fix, jobs=args.jobs, cache=cache,
                       unsafe_fixes=settings.unsafe_fixes), bool(found.missing)


def open_cache(cache_dir: Optional[str], settings: Settings):
    from nnlint.cache import FindingsCache

    return FindingsCache(Path(cache_dir) if cache_dir else settings.root / CACHE_DIR)


def describe_run(settings: Settings, files, shard) -> None:
    """--verbose: what this run reads and checks, on stderr (stdout stays the report)."""
    config = settings.config_path or "none (defaults)"
    codes = sorted({rule.code for rule in settings.rules_for("_.py")})
    print(f"nnlint: config: {config}", file=sys.stderr)
    print(f"nnlint: rules: {', '.join(codes) or 'none'}", file=sys.stderr)
    if shard is not None:
        print(f"nnlint: shard {shard[0]}/{shard[1]}", file=sys.stderr)
    describe_torch(settings, files)
    for path in files:
        print(f"nnlint: checking {path}", file=sys.stderr)


def describe_torch(settings: Settings, files) -> None:
    """The torch versions the checked files' projects declare (see nnlint.requirements)."""
    from nnlint.project import ProjectIndex

    index = ProjectIndex(settings)
    for declared in dict.fromkeys(str(index.torch_range(path) or "") for path in files):
        print(f"nnlint: torch: {declared or 'no version declared (any torch assumed; see torch-version)'}",
              file=sys.stderr)


# ----- fixes ---------------------------------------------------------------------------------------
def write_fixes(results, stdin_name: str) -> int:
    """Write every fixed file back in place; how many were written."""
    from nnlint.fix import write_atomic

    written = 0
    for result in results:
        if result.fixed_text is not None and result.path != stdin_name:
            write_atomic(result.path, result.fixed_text, result.source.encoding)
            written += 1
    return written


# ----- output ------------------------------------------------------------------------------------
def render_output(args, results, findings: List[Finding], summary: RunSummary) -> str:
    if args.diff:
        from nnlint.report import diff

        changes = [(r.path, r.source.text, r.fixed_text) for r in results if r.fixed_text is not None]
        return diff.render(changes, quiet=args.quiet)
    if args.statistics:
        from nnlint.report import statistics

        return statistics.render(findings, as_json=args.format == "json", unsafe_fixes=summary.unsafe_fixes)
    fmt, color = choose_format(args.format, args.output_file)
    sources = {r.path: r.fixed_text if args.fix and r.fixed_text is not None else r.source.text
               for r in results if r.source is not None} if fmt == "full" else None
    return render(fmt, findings, summary, sources=sources, color=color, quiet=args.quiet)


def choose_format(fmt: str, output_file: Optional[str]) -> Tuple[str, bool]:
    """The format to render and whether in colour: `text` is `full` on a terminal and `concise`
    otherwise; colour only for the text formats written to a terminal that wants it."""
    color = False
    if fmt in ("text", "full", "concise") and not output_file:
        color = color_wanted(sys.stdout)
        if fmt == "text":
            fmt = "full" if is_terminal(sys.stdout) else "concise"
    elif fmt == "text":
        fmt = "concise"
    return fmt, color


def exit_status(args, results, findings: List[Finding], usage_error: bool) -> int:
    if usage_error:
        return EXIT_USAGE
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if any(r.fixed_text is not None for r in results) else EXIT_CLEAN
    return EXIT_FINDINGS if findings else EXIT_CLEAN
