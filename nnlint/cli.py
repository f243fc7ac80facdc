"""Command line: parse arguments, load settings, dispatch to check / verify / rules / explain.

    nnlint [check] [PATH ...]     lint (the default command)
    nnlint verify [PATH ...]      build and run the models, confirm the findings
    nnlint rules                  list every rule
    nnlint explain CODE           a rule's documentation page
    nnlint server                 the language server (LSP over stdio), for editors
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from nnlint import __version__
from nnlint.cache import CACHE_DIR
from nnlint.config import ConfigError, Overrides, Settings, load_settings, parse_selectors
from nnlint.exit_codes import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE
from nnlint.report import FORMATS, write_stdout

COMMANDS = ("check", "verify", "rules", "explain", "server")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with one line, like argparse, never a traceback
        self.print_usage(sys.stderr)
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="codes or prefixes to check (NN1, NN301, ALL); replaces the config's select")
    parser.add_argument("--extend-select", action="append", metavar="CODES",
                        help="codes or prefixes to check on top of the selection")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="codes or prefixes to skip")
    parser.add_argument("--config", metavar="FILE", help="a pyproject.toml to read instead of the nearest one")
    parser.add_argument("--isolated", action="store_true", help="ignore every configuration file (and the torch version the project declares)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nnlint", description="A linter for PyTorch nn.Module code.")
    parser.add_argument("--version", action="version", version=f"nnlint {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = commands.add_parser("check", help="lint Python files (the default command)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders ('-' reads stdin)")
    _add_selection(check)
    check.add_argument("--extend-include", action="append", metavar="GLOBS",
                       help="more files to search folders for, on top of include (\"*.md\": Markdown tutorials)")
    check.add_argument("--fix", action="store_true", help="apply safe autofixes in place")
    check.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                       help="--fix and --diff apply unsafe fixes too (the config's unsafe-fixes)")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff, write nothing")
    check.add_argument("--format", "--output-format", dest="format", choices=FORMATS, default="text",
                       help="text (the default: full on a terminal, concise otherwise), full, concise, "
                            "json, github (annotations), sarif (code scanning)")
    check.add_argument("--output-file", "-o", metavar="FILE", help="write the report here instead of stdout")
    check.add_argument("--stdin-filename", metavar="PATH", help="the name to report for '-' (stdin)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--statistics", action="store_true", help="count findings per code instead")
    check.add_argument("--shard", metavar="K/N", help="check only shard K of N (for a CI matrix)")
    check.add_argument("-j", "--jobs", type=int, default=0,
                       help="worker processes (default 0: one per core; 1: none, check in-process)")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the findings cache")
    check.add_argument("--cache-dir", metavar="DIR",
                       help=f"where the findings cache lives (default: {CACHE_DIR}/ beside the config)")
    loudness = check.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    loudness.add_argument("-v", "--verbose", action="store_true",
                          help="also print the config used, the files checked and the timing (on stderr)")

    verify = commands.add_parser("verify", help="build and run each nn.Module, confirm the findings")
    verify.add_argument("paths", nargs="*", metavar="PATH")
    _add_selection(verify)
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.add_argument("--timeout", type=float, default=None,
                        help="seconds per model, not counting time spent waiting for a busy CPU "
                             "(default: the config's timeout, else 60)")
    verify.add_argument("--memory-limit", type=float, default=None, metavar="GB",
                        help="memory each worker may use (default: the config's, else half the machine's; 0: none)")
    verify.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None,
                        help="where to run the models (default auto: cuda when available)")
    verify.add_argument("--output-file", "-o", metavar="FILE")
    verify.add_argument("--html", metavar="FILE",
                        help="also write a self-contained HTML report (module trees, gradient norms, timing)")
    verify.add_argument("--shard", metavar="K/N", help="verify only the files of shard K of N (for a CI matrix)")
    verify.add_argument("--fail-under", type=float, metavar="PCT",
                        help="exit 1 when fewer than PCT%% of the models were checked (default: the config's)")

    commands.add_parser("rules", help="list every rule")
    explain = commands.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code", metavar="CODE")
    server = commands.add_parser("server", help="the language server for editors (LSP over stdio; "
                                                "pip install \"nnlint[server]\")")
    server.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the only way; "
                                                              "accepted because editors pass it)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "check")
    try:
        args = build_parser().parse_args(argv)
        if args.command == "rules":
            return _rules()
        if args.command == "explain":
            return _explain(args.code)
        if args.command == "server":
            return _server()
        settings = _settings(args)
        shard = _parse_shard(args.shard) if args.shard else None
        if args.command == "verify":
            from nnlint.verify import run_verify  # imports torch: only for this command

            return run_verify(args, settings, shard)
        from nnlint.check import run_check

        if args.jobs < 0:
            raise _UsageError(
                f"-j/--jobs must be 0 (one process per core) or more, not {args.jobs}")
        return run_check(args, settings, shard)
    except (_UsageError, ConfigError) as exc:
        print(f"nnlint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `nnlint explain NN101 | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS


def _settings(args) -> Settings:
    """The run's settings: each file's configuration, with the command line's on top."""
    for flag in ("select", "extend_select", "ignore"):
        for value in getattr(args, flag, None) or []:
            if not value.replace(",", "").strip():  # `--select "$CODES"` with CODES unset
                raise _UsageError(f"--{flag.replace('_', '-')} {value!r}: no code given "
                                  "(`ALL` selects every rule)")
    overrides = Overrides(select=parse_selectors(args.select),
                          extend_select=parse_selectors(args.extend_select) or [],
                          ignore=parse_selectors(args.ignore) or [],
                          unsafe_fixes=getattr(args, "unsafe_fixes", None),
                          extend_include=[glob.strip() for value in getattr(args, "extend_include", None) or ()
                                          for glob in value.split(",") if glob.strip()])
    settings = load_settings(args.config, args.isolated, overrides=overrides)
    settings.validate()  # the command line's codes (the configuration's were checked as read)
    return settings


def _parse_shard(value: str):
    try:
        index, count = (int(part) for part in value.split("/"))
    except ValueError:
        raise _UsageError(f"--shard expects K/N, got {value!r}") from None
    if not 1 <= index <= count:
        raise _UsageError(f"--shard {value}: K must be between 1 and N")
    return index, count


def _rules() -> int:
    from nnlint.rules import all_rules

    lines = []
    for code, rule in all_rules().items():
        state = "on " if rule.default_enabled() else "off"
        lines.append(f"{code}  {rule.severity.value}  {state}  {rule.fix_label():<12}  {rule.name:<36} {rule.summary}\n")
    write_stdout("".join(lines))
    return EXIT_CLEAN


def _explain(code: str) -> int:
    from nnlint.rules import rule_page

    page = rule_page(code)
    if page is None:
        print(f"nnlint: error: unknown rule {code!r} (see `nnlint rules`)", file=sys.stderr)
        return EXIT_USAGE
    write_stdout(page + "\n")
    return EXIT_CLEAN


def _server() -> int:
    """`nnlint server`: pygls is imported here only (the `server` extra)."""
    try:
        from nnlint.server import run
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        print('nnlint: error: `nnlint server` needs pygls: pip install "nnlint[server]"', file=sys.stderr)
        return EXIT_USAGE
    return run()
