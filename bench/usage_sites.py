"""How many model classes a project's own code builds (and calls) in a way `nnlint verify` can
reuse: the usage sites of issue 16, counted statically (nothing is imported or run).

    python bench/usage_sites.py PROJECT_ROOT [--list]

Prints the model classes verify would target, how many have a usage site whose constructor
arguments are describable (and where the best one was found: the checked file itself, the
project's tests, its example scripts), and how many of those also have the inputs the instance is
called with. `--list` names each class and its best site.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

try:  # the nnlint installed (or on PYTHONPATH, to count with another build), else this checkout's
    import nnlint  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RANKS = {0: "same file", 1: "tests", 2: "scripts"}


def usage_of(root: str):
    """(targets' class names, {"module:Class": [site dicts]}) as `nnlint verify ROOT` plans them."""
    import nnlint.verify.discover as discover
    from nnlint.cli import main

    planned = {}
    real_plan = discover.plan

    def plan(*args, **kwargs):
        planned["plan"] = real_plan(*args, **kwargs)
        raise SystemExit(0)  # stop before torch is imported and any worker starts

    discover.plan = plan
    here = os.getcwd()
    os.chdir(root)
    try:
        main(["verify", "--isolated", "--device", "cpu", "."])
    except SystemExit:
        pass
    finally:
        os.chdir(here)
        discover.plan = real_plan
    the_plan = planned["plan"]
    names = [f"{t.label}:{c[0]}" for t in the_plan.targets if t.kind == "file" for c in t.classes]
    usage = {}
    for target in the_plan.targets:
        usage.update(target.usage)
    return names, usage


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    names, usage = usage_of(os.path.abspath(args.root))
    built, fed = Counter(), Counter()
    for name in names:
        sites = usage.get(name) or []
        if sites:
            built[RANKS[min(s["rank"] for s in sites)]] += 1
            if any(s["inputs"] is not None for s in sites):
                fed[RANKS[min(s["rank"] for s in sites if s["inputs"] is not None)]] += 1
        if args.list:
            best = sites[0] if sites else None
            print(f"{name}: " + (f"built as in {best['where']}" + (f", fed as in {best['fed_where']}"
                                                                  if best["fed_where"] else "")
                                 if best else "-"))
    total = len(names)
    print(f"{total} model classes; arguments from usage: {sum(built.values())} "
          f"({', '.join(f'{k} {v}' for k, v in built.most_common())}); inputs too: {sum(fed.values())} "
          f"({', '.join(f'{k} {v}' for k, v in fed.most_common())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
