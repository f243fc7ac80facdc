"""Speed-and-scale benchmark for nnlint (issue 6). Not a test; not run in CI.

    python bench/run.py            # full run: 3 runs each, timm + transformers + torch
    python bench/run.py --quick    # 1 run each, timm only
    python bench/run.py --output bench/RESULTS.md

Stdlib only.  See bench/README.md for what each number means.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPORA = BENCH / "corpora"
WORK = BENCH / ".work"
VENV = WORK / "torchfix-venv"
TORCHFIX = VENV / "bin" / "torchfix"
RUFF = VENV / "bin" / "ruff"

WHEELS = {"timm": "timm==1.0.31", "transformers": "transformers==5.23.0"}
ONE_FILE = "timm/models/vgg.py"  # a real ~500-line model file (519 lines), relative to the timm corpus
NNLINT = [sys.executable, "-m", "nnlint"]
GROWTH_TARGETS = [10_000, 100_000, 1_000_000]
ZOO = REPO / "fixtures" / "runtime"
# The zoo's files whose models all finish (zoo_failures.py hangs and crashes on purpose).
ZOO_FILES = ["zoo_clean.py", "zoo_registration.py", "zoo_gradients.py", "zoo_modes.py", "zoo_api.py"]


# ----------------------------------------------------------------------------- setup

def prepare_corpora(names: list[str]) -> dict[str, Path]:
    """Download + unzip the pinned wheels (only *.py files); torch is used in place."""
    dirs = {}
    for name in names:
        if name == "torch":
            out = subprocess.run([sys.executable, "-c", "import torch,os;print(os.path.dirname(torch.__file__))"],
                                 capture_output=True, text=True, check=True)
            dirs[name] = Path(out.stdout.strip())
            continue
        target = CORPORA / name
        if not (target / ".complete").exists():
            wheel_dir = CORPORA / "wheels"
            spec = WHEELS[name]
            version = spec.split("==")[1]
            wheels = list(wheel_dir.glob(f"{name}-{version}-*.whl"))
            if not wheels:
                subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", spec, "-d", str(wheel_dir)],
                               check=True)
                wheels = list(wheel_dir.glob(f"{name}-{version}-*.whl"))
            shutil.rmtree(target, ignore_errors=True)
            with zipfile.ZipFile(wheels[0]) as zf:
                zf.extractall(target, [n for n in zf.namelist() if n.endswith(".py")])
            (target / ".complete").write_text(spec + "\n")
        dirs[name] = target
    return dirs


def prepare_tools() -> None:
    """TorchFix pins libcst<1.6, so it and ruff live in their own venv."""
    if TORCHFIX.exists() and RUFF.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "torchfix", "ruff"], check=True)


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def count_lines(files: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in files)


def build_growth_dirs(corpus_dirs: dict[str, Path], targets: list[int]) -> dict[int, tuple[Path, int, int]]:
    """Copy whole files (corpus order, sorted paths) into bench/.work/growth-N until ~N lines.

    The corpora together hold ~2.5M lines, so no file is repeated; the copies are plain files."""
    pool = [(name, p, root) for name, root in corpus_dirs.items() for p in python_files(root)]
    result = {}
    for target in targets:
        out = WORK / f"growth-{target}"
        marker = out / ".complete"
        if not marker.exists():
            shutil.rmtree(out, ignore_errors=True)
            lines = 0
            for name, p, root in pool:
                if lines >= target:
                    break
                dest = out / name / p.relative_to(root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, dest)
                lines += p.read_bytes().count(b"\n")
            marker.write_text("")
        files = python_files(out)
        result[target] = (out, len(files), count_lines(files))
    return result


# ----------------------------------------------------------------------------- measuring

def _tree_memory_kb(pid: int) -> int:
    """Sum the memory of pid and its descendants (via /proc/<pid>/task/*/children): Pss, which
    counts pages shared by forked workers once, where the kernel has smaps_rollup; else VmRSS."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup")
            lines = (rollup if rollup.exists() else Path(f"/proc/{p}/status")).read_text().splitlines()
            total += next((int(line.split()[1]) for line in lines if line.startswith(("Pss:", "VmRSS:"))), 0)
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return total


def run_once(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int, int, str]:
    """Run cmd; return (wall seconds, CPU seconds, peak memory in MB, exit code, stderr).

    CPU seconds are user+sys of the child and the descendants it waited for (wait4); on a
    busy machine they are steadier than wall time.

    Peak memory is the larger of ru_maxrss from wait4 (largest single process in the tree)
    and a 20 Hz sample of the summed Pss of the whole process tree (matters for -j N)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_memory_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = stderr.decode(errors="replace")
    if proc.returncode not in (0, 1):
        print(f"    exit {proc.returncode}: {' '.join(map(str, cmd))[:160]}\n    {err[-400:]}", file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, max(peak[0], usage.ru_maxrss) // 1024, proc.returncode, err


SKIP: set[str] = set()  # measurement labels (prefixes) to skip, from --skip


def measure(label: str, cmd: list[str], runs: int, ok=(0, 1), cwd: Path | None = None,
            show_stderr: bool = False) -> dict | None:
    """Median wall time and median peak memory over `runs` runs; None if the command fails or is skipped."""
    if any(label.startswith(s) for s in SKIP):
        print(f"  {label}: skipped")
        return None
    if not Path(cmd[0]).exists() and shutil.which(cmd[0]) is None:
        print(f"  {label}: n/a (missing {cmd[0]})")
        return None
    walls, cpus, rss = [], [], []
    for _ in range(runs):
        wall, cpu, mb, rc, stderr = run_once(cmd, cwd)
        if rc not in ok:
            print(f"  {label}: n/a (exit {rc})")
            return None
        walls.append(wall)
        cpus.append(cpu)
        rss.append(mb)
    result = {"s": statistics.median(walls), "cpu": statistics.median(cpus), "mb": statistics.median(rss)}
    print(f"  {label}: {result['s']:.2f}s wall, {result['cpu']:.2f}s cpu, {result['mb']} MB, "
          f"runs={[round(w, 2) for w in walls]}", flush=True)
    if show_stderr:
        print(f"    {stderr.strip()}")
    return result


PARSE_ALL = """
import sys, pathlib
mode = sys.argv[1]
if mode == "libcst":
    import libcst
    parse = libcst.parse_module
else:
    import ast
    parse = ast.parse
bad = 0
for p in sorted(pathlib.Path(sys.argv[2]).rglob("*.py")):
    try:
        parse(p.read_bytes())
    except Exception:
        bad += 1
print(bad, "files failed to parse", file=sys.stderr)
"""


def parse_cmd(mode: str, root: Path) -> list[str]:
    return [sys.executable, "-c", PARSE_ALL, mode, str(root)]


def bench_corpus(name: str, root: Path, runs: int, slow_runs: int) -> dict:
    files = python_files(root)
    row = {"files": len(files), "lines": count_lines(files)}
    print(f"{name}: {row['files']} files, {row['lines']} lines ({root})", flush=True)
    row["torchfix"] = measure("torchfix default", [str(TORCHFIX), str(root)], slow_runs)
    row["torchfix_all"] = measure("torchfix ALL", [str(TORCHFIX), "--select", "ALL", str(root)], slow_runs)
    row["ruff"] = measure("ruff", [str(RUFF), "check", "--select", "ALL", "--no-cache", "--exit-zero",
                                   "--no-respect-gitignore", "--extend-exclude", "*.pyi", str(root)], runs)
    row["libcst"] = measure("libcst parse (1 core)", parse_cmd("libcst", root), runs, show_stderr=True)
    row["ast"] = measure("ast parse (1 core)", parse_cmd("ast", root), runs, show_stderr=True)
    row["cold"] = measure("nnlint cold", NNLINT + [str(root), "--select", "ALL", "--no-cache"], runs, cwd=REPO)
    cache_dir = WORK / f"nnlint-cache-{name}"  # keep the cache out of site-packages and the corpora
    shutil.rmtree(cache_dir, ignore_errors=True)
    warm_cmd = NNLINT + [str(root), "--select", "ALL", "--cache-dir", str(cache_dir)]
    # Warm only means something when the CLI has a cache, i.e. when it accepted --no-cache above.
    if row["cold"] and measure("nnlint cache priming", warm_cmd, 1, cwd=REPO):
        row["warm"] = measure("nnlint warm", warm_cmd, runs, cwd=REPO)
    if name == "timm":
        one = root / ONE_FILE
        row["one_file_lines"] = count_lines([one])
        row["one_file"] = measure(f"nnlint one-file ({ONE_FILE})",
                                  NNLINT + [str(one), "--select", "ALL", "--no-cache"], max(runs, 5), cwd=REPO)
        row["import_libcst"] = measure("python -c 'import libcst'", [sys.executable, "-c", "import libcst"],
                                       max(runs, 5))
    if name == "transformers":
        row["j2"] = measure("nnlint -j 2", NNLINT + [str(root), "--select", "ALL", "--no-cache", "-j", "2"],
                            runs, cwd=REPO)
    return row


def bench_growth(corpus_dirs: dict[str, Path], targets: list[int], runs: int) -> list[dict]:
    rows = []
    for target, (path, n_files, n_lines) in build_growth_dirs(corpus_dirs, targets).items():
        print(f"growth ~{target}: {n_files} files, {n_lines} lines ({path})", flush=True)
        rows.append({"target": target, "files": n_files, "lines": n_lines,
                     "cold": measure("nnlint cold", NNLINT + [str(path), "--select", "ALL", "--no-cache"], runs,
                                     cwd=REPO),
                     "ruff": measure("ruff", [str(RUFF), "check", "--select", "ALL", "--no-cache", "--exit-zero",
                                              "--no-respect-gitignore", "--extend-exclude", "*.pyi", str(path)], runs),
                     "libcst": measure("libcst parse (1 core)", parse_cmd("libcst", path), runs)})
    return rows


def bench_verify(runs: int) -> dict | None:
    """`nnlint verify` on the runtime zoo: what it costs beyond the models' own forward/backward.

    overhead per model = (verify wall - one `import torch` - sum of forward+backward) / models:
    everything else (the CLI, discovery, the worker, building, the checks) spread over them."""
    out = WORK / "verify.json"
    cmd = NNLINT + ["verify", "--config", str(ZOO / "pyproject.toml"), "--format", "json",
                    "--output-file", str(out)] + [str(ZOO / name) for name in ZOO_FILES]
    print(f"verify: {len(ZOO_FILES)} zoo files ({ZOO})", flush=True)
    verify = measure("nnlint verify (zoo)", cmd, runs, cwd=REPO)
    torch_import = measure("python -c 'import torch'", [sys.executable, "-c", "import torch"], runs)
    if verify is None or torch_import is None:
        return None
    report = json.loads(out.read_text())
    models = [m for m in report["models"] if m["status"] != "skipped"]
    own = sum(m["timings"].get("forward", 0) + m["timings"].get("backward", 0) for m in models)
    in_worker = [m["seconds"] - m["timings"].get("forward", 0) - m["timings"].get("backward", 0)
                 for m in models]
    return {"models": len(models), "verify": verify, "torch": torch_import, "own": own,
            "per_model": (verify["s"] - torch_import["s"] - own) / len(models),
            "worst_in_worker": max(in_worker)}


# ----------------------------------------------------------------------------- report

def secs(m: dict | None) -> str:
    return "n/a" if m is None else f"{m['s']:.2f} ({m['cpu']:.1f})"


def ratio(a: dict | None, b: dict | None) -> str:
    return "n/a" if a is None or b is None or b["s"] == 0 else f"{a['s'] / b['s']:.1f}x"


def cpu_ratio(a: dict | None, b: dict | None) -> str:
    return "n/a" if a is None or b is None or b["cpu"] == 0 else f"{a['cpu'] / b['cpu']:.1f}x"


def rss(m: dict | None) -> str:
    return "n/a" if m is None else f"{m['mb']}"


def per_kloc(m: dict | None, lines: int) -> str:
    return "n/a" if m is None else f"{1000 * m['s'] / lines:.3f} ({1000 * m['cpu'] / lines:.3f})"


def machine_info() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    nproc = len(os.sched_getaffinity(0))
    return f"nproc {nproc}, {cpu}, Python {platform.python_version()}, load average at end {load}"


def render(rows: dict[str, dict], growth: list[dict], verify: dict | None, runs: int, slow_runs: int) -> str:
    names = list(rows)
    get = lambda key: [rows[n].get(key) for n in names]  # noqa: E731

    def line(label, cells):
        return f"| {label} | " + " | ".join(cells) + " |"

    out = [f"# nnlint benchmark ({datetime.date.today().isoformat()})", "",
           f"Machine: {machine_info()}.",
           f"Median of {runs} run(s) ({slow_runs} for TorchFix);"
           " cells read `wall (cpu)` in seconds, cpu = user+sys of the whole process tree;"
           " memory in MB: the peak of the process tree's summed Pss (shared pages counted once), or of the"
           " largest process's RSS if higher; ratios use wall time unless marked CPU.",
           "TorchFix and nnlint use all cores by default; ruff uses all cores; the parse rows use one core.",
           "", line("", names), "|---|" + "---|" * len(names),
           line("files", [str(r["files"]) for r in rows.values()]),
           line("lines", [f"{r['lines']:,}" for r in rows.values()]),
           line("nnlint cold (s)", [secs(m) for m in get("cold")]),
           line("nnlint warm (s)", [secs(m) for m in get("warm")]),
           line("TorchFix, default rules (s)", [secs(m) for m in get("torchfix")]),
           line("TorchFix --select ALL (s)", [secs(m) for m in get("torchfix_all")]),
           line("ruff --select ALL (s)", [secs(m) for m in get("ruff")]),
           line("libcst.parse_module, 1 core (s)", [secs(m) for m in get("libcst")]),
           line("ast.parse, 1 core (s)", [secs(m) for m in get("ast")]),
           line("TorchFix / nnlint cold", [ratio(a, b) for a, b in zip(get("torchfix"), get("cold"))]),
           line("TorchFix / nnlint cold, CPU", [cpu_ratio(a, b) for a, b in zip(get("torchfix"), get("cold"))]),
           line("nnlint cold / warm", [ratio(a, b) for a, b in zip(get("cold"), get("warm"))]),
           line("peak memory nnlint cold (MB)", [rss(m) for m in get("cold")]),
           line("peak memory nnlint -j 2 (MB)", [rss(m) for m in get("j2")]),
           line("peak memory TorchFix (MB)", [rss(m) for m in get("torchfix")]),
           line("peak memory ruff (MB)", [rss(m) for m in get("ruff")])]
    if "timm" in rows:
        t = rows["timm"]
        blank = ["" for _ in names[1:]]
        out += [line(f"nnlint one-file: {ONE_FILE}, {t['one_file_lines']} lines (s)", [secs(t["one_file"])] + blank),
                line("python -c 'import libcst' (s)", [secs(t["import_libcst"])] + blank),
                line("one-file / import libcst", [ratio(t["one_file"], t["import_libcst"])] + blank)]
    if growth:
        out += ["", "Growth: seconds per 1,000 lines, `wall (cpu)`. Sets are copies of whole files taken in order",
                "(timm, transformers, torch; sorted paths) until the target; no file is repeated.", "",
                "| target | files | lines | nnlint cold | ruff | libcst parse (1 core) |", "|---|---|---|---|---|---|"]
        out += [f"| ~{g['target']:,} | {g['files']} | {g['lines']:,} | {per_kloc(g['cold'], g['lines'])} "
                f"| {per_kloc(g['ruff'], g['lines'])} | {per_kloc(g['libcst'], g['lines'])} |" for g in growth]
    if verify:
        v = verify
        out += ["", f"`nnlint verify` on the runtime zoo ({len(ZOO_FILES)} files, {v['models']} models, CPU):", "",
                "| verify wall | `import torch` | models' own forward+backward | overhead per model | "
                "worst single model, in its worker, less forward+backward |", "|---|---|---|---|---|",
                f"| {secs(v['verify'])} | {secs(v['torch'])} | {v['own']:.2f} | {v['per_model']:.3f} s "
                f"| {v['worst_in_worker']:.3f} s |"]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 run each, timm only, growth at ~10k only")
    parser.add_argument("--output", type=Path, help="also write the markdown here (e.g. bench/RESULTS.md)")
    parser.add_argument("--no-growth", action="store_true", help="skip the growth table")
    parser.add_argument("--no-verify", action="store_true", help="skip the verify overhead table")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 3, --quick 1)")
    parser.add_argument("--slow-runs", type=int,
                        help="runs for TorchFix, which takes minutes per corpus (default: --runs)")
    parser.add_argument("--corpora", help="comma-separated subset of timm,transformers,torch")
    parser.add_argument("--skip", default="", help="comma-separated measurement prefixes to skip, "
                        "e.g. 'torchfix,nnlint' (labels as printed)")
    args = parser.parse_args()

    # Installed packages run from compiled bytecode; an environment that forbids writing it
    # (PYTHONDONTWRITEBYTECODE) would make every run recompile nnlint's ~70 modules (~0.1 s).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    runs = args.runs or (1 if args.quick else 3)
    slow_runs = args.slow_runs or runs
    names = args.corpora.split(",") if args.corpora else ["timm"] if args.quick else ["timm", "transformers", "torch"]
    SKIP.update(s.strip() for s in args.skip.split(",") if s.strip())
    WORK.mkdir(parents=True, exist_ok=True)
    corpus_dirs = prepare_corpora(names)
    prepare_tools()

    rows = {name: bench_corpus(name, root, runs, slow_runs) for name, root in corpus_dirs.items()}
    growth = [] if args.no_growth else bench_growth(corpus_dirs, GROWTH_TARGETS[:1] if args.quick else GROWTH_TARGETS,
                                                   runs)
    verify = None if args.no_verify else bench_verify(runs)
    report = render(rows, growth, verify, runs, slow_runs)
    print("\n" + report)
    if args.output:
        args.output.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
