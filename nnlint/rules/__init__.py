"""The rule registry: every module in this package named `nnNNN_*.py` holds one rule class."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Dict, Type

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
