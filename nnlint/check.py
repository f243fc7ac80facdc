"""`nnlint check`: one lint run, room by room.

    stdin (`-`) ----------------------------\
    paths -> discover -> cache -> engine ----> results -> fixes written -> output -> exit status

- `check_stdin`: the text piped in, checked under the name `--stdin-filename` gives it; with
  `--fix`, stdout carries the source alone (fixed or not) and the report goes to stderr, as
  `ruff check --fix -` does;
- `check_paths`: discovery (nnlint.files), the findings cache, the engine's pool;
- `write_fixes`: `--fix` writes each fixed file back, atomically (through a symlink, to its
  target); a file that cannot be written is reported and checked as it is, the others written;
- `render_output`: `--diff`, `--statistics` or the report, in the format `choose_format` picks;
- `exit_status`: 0 clean, 1 findings (or fixes to make, with `--diff`), 2 a usage error, a
  fix that could not be written, or a file nnlint failed on (NN009), even with `--exit-zero`.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from nnlint.cache import CACHE_DIR
from nnlint.config import Settings
from nnlint.exit_codes import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE
from nnlint.files import display_path
from nnlint.finding import Finding
from nnlint.report import RunSummary, emit, render, write_stdout
from nnlint.report.summary import plural
from nnlint.report.style import color_wanted, is_terminal

STDIN = "-"


def run_check(args, settings: Settings, shard: Optional[Tuple[int, int]]) -> int:
    started = time.perf_counter()
    fixing = args.fix or args.diff
    stdin_name = args.stdin_filename or STDIN
    paths = args.paths or ["."]
    source_out = args.fix and not args.diff and STDIN in paths  # stdout is the fixed source
    results = []
    if STDIN in paths:
        paths = [p for p in paths if p != STDIN]
        limit = settings.for_path(stdin_name).max_file_size  # read no further than needed to refuse
        data = sys.stdin.buffer.read(limit + 1) if limit else sys.stdin.buffer.read()
        result = check_stdin(data, stdin_name, settings, fix=fixing)
        if source_out:
            echo_source(result, data)
            if limit and len(data) > limit:  # too large to check: pass the rest through as it comes
                shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)
        results.append(result)
    failed = False  # a missing path, or a fix that could not be written: exit 2
    missing = 0
    if paths:
        checked, missing = check_paths(paths, settings, shard, args, fix=fixing)
        failed = bool(missing)
        if args.fix and not args.diff:
            checked, unwritten = write_fixes(checked, settings)
            failed = failed or unwritten
        results += checked

    summary = RunSummary(files=len(results), unsafe_fixes=settings.unsafe_fixes, missing=missing)
    if args.fix and not args.diff:
        summary.fixed_files = sum(r.fixed_text is not None for r in results)
        summary.fixed = sum(max(0, r.found_before_fix - len(r.findings)) for r in results if r.fixed_text)
    findings = sorted((f for r in results for f in r.findings), key=lambda f: f.sort_key)
    report_stream = sys.stderr if source_out else sys.stdout
    report = render_output(args, results, findings, summary, report_stream)
    if source_out and not args.output_file:
        sys.stderr.write(report)
    else:
        emit(report, args.output_file)
    if args.verbose:
        describe_assumptions(results)
        print(f"nnlint: checked {plural(len(results), 'file')} in {time.perf_counter() - started:.2f}s",
              file=sys.stderr)
    return exit_status(args, results, findings, failed)


# ----- what is checked ---------------------------------------------------------------------------
def check_stdin(data: bytes, name: str, settings: Settings, fix: bool):
    from nnlint.engine import check_bytes

    return check_bytes(data, name, settings.rules_for(name), fix=fix, unsafe_fixes=settings.unsafe_fixes,
                       max_bytes=settings.for_path(name).max_file_size)


def echo_source(result, data: bytes) -> None:
    """`--fix -`: the fixed source on stdout, in its own encoding, or the bytes as they came
    when nothing was fixed (even bytes that are not Python)."""
    if result.fixed_text is not None:
        data = result.fixed_text.encode(result.source.encoding)
    write_stdout(data)


def check_paths(paths: Sequence[str], settings: Settings, shard, args, fix: bool):
    """The results of the files under `paths`, and how many paths were missing (a usage error,
    said on stderr; the other paths are still checked)."""
    from nnlint.engine import check_files
    from nnlint.files import discover

    found = discover(list(paths), settings, shard)
    found.warn()
    for missing in found.missing:
        print(f"nnlint: error: {missing}: no such file or directory", file=sys.stderr)
    if args.verbose:
        describe_run(settings, found.files, shard)
    cache = None if args.no_cache or fix else open_cache(args.cache_dir, settings)
    return check_files(found.files, settings, fix=fix, jobs=args.jobs, cache=cache,
                       unsafe_fixes=settings.unsafe_fixes), len(found.missing)


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
        own = settings.for_path(path).config_path
        shown = "" if own == settings.config_path else f" (config: {display_path(str(own)) if own else 'none'})"
        print(f"nnlint: checking {path}{shown}", file=sys.stderr)


def describe_torch(settings: Settings, files) -> None:
    """The torch versions the checked files' projects declare (see nnlint.requirements)."""
    from nnlint.project import ProjectIndex

    index = ProjectIndex(settings)
    for declared in dict.fromkeys(str(index.torch_range(path) or "") for path in files):
        print(f"nnlint: torch: {declared or 'no version declared (any torch assumed; see torch-version)'}",
              file=sys.stderr)


def describe_assumptions(results) -> None:
    """--verbose: the files checked as if the conventional imports were there (sources.fragments)."""
    from nnlint.sources.fragments import ASSUMED_IMPORTS

    for result in results:
        if result.assumed:
            imports = "; ".join(ASSUMED_IMPORTS[name] for name in result.assumed)
            print(f"nnlint: {result.path}: uses {', '.join(result.assumed)} without binding "
                  f"{'it' if len(result.assumed) == 1 else 'them'}: checked as if it had `{imports}`",
                  file=sys.stderr)


# ----- fixes ---------------------------------------------------------------------------------------
def write_fixes(results, settings: Settings) -> Tuple[list, bool]:
    """Write every fixed file back in place. A file that cannot be written is said on stderr
    and checked again as it is on disk, so the report shows what is really there; the others
    are still written. The results, and whether a write failed."""
    from nnlint.engine import check_file
    from nnlint.fix import write_atomic

    out, failed = [], False
    for result in results:
        if result.fixed_text is not None:
            try:
                write_atomic(result.path, result.fixed_text, result.source.encoding)
            except OSError as exc:
                print(f"nnlint: error: {result.path}: cannot write the fix: {exc.strerror or exc}",
                      file=sys.stderr)
                failed = True
                result = check_file(result.path, settings.rules_for(result.path))
        out.append(result)
    return out, failed


# ----- output ------------------------------------------------------------------------------------
def render_output(args, results, findings: List[Finding], summary: RunSummary, stream=None) -> str:
    """The report, for `stream` (stdout unless said) when it decides format and colour."""
    if args.diff:
        from nnlint.report import diff
        from nnlint.sources import diff_pieces

        changes = [diff_pieces(r.path, r.source.text, r.fixed_text) for r in results if r.fixed_text is not None]
        hidden = 0 if summary.unsafe_fixes else sum(f.fixable(True) for f in findings)
        return diff.render(changes, quiet=args.quiet, hidden=hidden)
    if args.statistics:
        from nnlint.report import statistics

        return statistics.render(findings, as_json=args.format == "json", unsafe_fixes=summary.unsafe_fixes)
    fmt, color = choose_format(args.format, args.output_file, stream or sys.stdout)
    sources = None
    if fmt == "full":
        from nnlint.sources import cell_sources

        sources = {}
        for r in results:
            if r.source is not None:
                text = r.fixed_text if args.fix and r.fixed_text is not None else r.source.text
                sources.update(((r.path, cell), shown) for cell, shown in cell_sources(r.path, text).items())
    return render(fmt, findings, summary, sources=sources, color=color, quiet=args.quiet)


def choose_format(fmt: str, output_file: Optional[str], stream=None) -> Tuple[str, bool]:
    """The format to render and whether in colour: `text` is `full` on a terminal and `concise`
    otherwise; colour only for the text formats written to a terminal that wants it."""
    stream = stream or sys.stdout
    color = False
    if fmt in ("text", "full", "concise") and not output_file:
        color = color_wanted(stream)
        if fmt == "text":
            fmt = "full" if is_terminal(stream) else "concise"
    elif fmt == "text":
        fmt = "concise"
    return fmt, color


def exit_status(args, results, findings: List[Finding], failed: bool) -> int:
    from nnlint.engine import INTERNAL_ERROR

    if failed or any(f.code == INTERNAL_ERROR for f in findings):
        return EXIT_USAGE  # nnlint's own failure (NN009) is not a finding in the user's code
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if any(r.fixed_text is not None for r in results) else EXIT_CLEAN
    return EXIT_FINDINGS if findings else EXIT_CLEAN
