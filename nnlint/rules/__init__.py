"""The rule registry: every module in this package named `nnNNN_*.py` holds one rule class."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Dict, Optional, Type

from nnlint.rules.base import Rule


@lru_cache(maxsize=None)
def all_rules() -> Dict[str, Type[Rule]]:
    """Code -> rule class, sorted by code."""
    found: Dict[str, Type[Rule]] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("nn"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__:
                if value.code in found:
                    raise RuntimeError(f"two rules claim {value.code}")
                found[value.code] = value
    return dict(sorted(found.items()))


def rule_page(code: str) -> Optional[str]:
    """A rule's documentation page in Markdown (`nnlint explain`, the editor's hover); None
    for an unknown code."""
    rule = all_rules().get(code.strip().upper())
    if rule is None:
        return None
    fixes = f", fixable: {rule.fix_label()}" if rule.fixable else ""
    header = f"{rule.code} {rule.name} ({rule.severity.label}{fixes})"
    page = f"# {header}\n\n{rule.documentation()}"
    if not rule.always_reported:
        runtime = rule.runtime
        seen = (f"{runtime.seen} (confirms the finding)" if runtime.kinds and not runtime.reports else
                runtime.seen if runtime.kinds else f"cannot be observed: {runtime.reason(rule.severity)}")
        if runtime.absent:
            seen += f"; a run without it proves nothing: {runtime.absent}"
        page += f"\n\n## nnlint verify\n{seen[0].upper()}{seen[1:]}."
    return page
