"""The base class of every rule: metadata, examples, and `report()`.

A rule is a small class. It declares its code, name, severity, the one-line fix advice, and its
VALID/INVALID examples; its docstring is the rule's documentation page (`nnlint explain`). It
defines `visit_<Node>` / `leave_<Node>` methods for the LibCST node types it cares about; the
engine calls them for every rule in one pass over the tree, with `self.context` (a FileContext)
telling where the walk is and how names resolve.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import ClassVar, List, Optional, Sequence, Tuple, Union

import libcst as cst

from nnlint.context import FileContext
from nnlint.finding import Applicability, Severity
from nnlint.fix import TreeFix


@dataclass(frozen=True)
class Valid:
    code: str


@dataclass(frozen=True)
class Invalid:
    code: str
    line: Union[int, Tuple[int, ...]]  # the line(s) of the expected findings, 1-based
    fixed: Optional[str] = None  # the whole source after --fix --unsafe-fixes, when the rule fixes it

    @property
    def lines(self) -> Tuple[int, ...]:
        return (self.line,) if isinstance(self.line, int) else tuple(self.line)


@dataclass
class Report:
    node: cst.CSTNode
    message: str
    fix: Optional[TreeFix]


@dataclass(frozen=True)
class Runtime:
    """What `nnlint verify` can see of a rule's bug on a live model.

    kinds:        the observations of the checks that show it (`verify.result.KINDS`); one found
                  at the finding's place confirms the finding
    seen:         the same in words (the rule's documentation)
    at_line:      only an observation on the finding's own lines confirms it (a generic error,
                  such as AttributeError on an unknown torch name, could come from anywhere else)
    reports:      the kinds among `kinds` that, when no static finding explains them, are
                  reported under this rule's code (the runtime rules, NN101 and NN102)
    unobservable: why no run can show it (a style rule, code outside the model, ...), when
                  `kinds` is empty
    absent:       why a run that shows none of `kinds` proves nothing (a deprecated API that
                  still works raises only once it is removed): the finding is then "cannot be
                  observed" for this reason instead of "not reproduced"
    """

    kinds: Tuple[str, ...] = ()
    seen: str = ""
    at_line: bool = False
    reports: Tuple[str, ...] = ()
    unobservable: str = ""
    absent: str = ""

    def reason(self, severity: Severity) -> str:
        """Why a finding of this rule cannot be confirmed by any run."""
        if self.unobservable:
            return self.unobservable
        if severity is Severity.STYLE:
            return "a style rule (the code behaves the same)"
        return "no check of the run shows this rule's bug"


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # what the rule flags, one line (rules table, `nnlint rules`)
    suggestion: ClassVar[str]  # the fix advice shown under each finding
    # How safe the rule's fixes are, each fix being one of these (see Applicability and the
    # page's "Fix safety" section); empty for a rule without fixes.
    fix_safety: ClassVar[Tuple[Applicability, ...]] = ()
    fixable: ClassVar[bool] = False  # derived: the rule has fixes
    runtime: ClassVar[Runtime] = Runtime()  # what `nnlint verify` can observe of it
    # A problem with the file itself, or nnlint's own failure (NN000-NN009): the engine reports
    # it whatever the selection, and selecting or ignoring its code is a usage error.
    always_reported: ClassVar[bool] = False
    # A file that contains none of these strings cannot hold a finding of this rule: the engine
    # skips parsing files that contain no trigger of any selected rule.
    triggers: ClassVar[Tuple[str, ...]] = ("torch",)
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.fixable = bool(cls.fix_safety)

    def __init__(self, context: FileContext):
        self.context = context
        self.reports: List[Report] = []

    def report(self, node: cst.CSTNode, message: str, fix: Optional[TreeFix] = None) -> None:
        if fix is not None and fix.applicability not in self.fix_safety:
            # the rule's page (its "Fix safety") and `nnlint rules` would not say so: our bug
            raise ValueError(f"{self.code} offers a fix that is {fix.applicability.value}, but its "
                             f"fix_safety declares {self.fix_label() or 'no fixes'}")
        self.reports.append(Report(node, message, fix))

    @classmethod
    def default_enabled(cls) -> bool:
        return cls.severity is not Severity.STYLE

    @classmethod
    def fix_label(cls) -> str:
        """"safe", "unsafe", "safe, unsafe", or "" for a rule without fixes."""
        return ", ".join(applicability.value for applicability in cls.fix_safety)

    @classmethod
    def documentation(cls) -> str:
        return textwrap.dedent(cls.__doc__ or "").strip()


def dedent(code: str) -> str:
    """Examples are written indented inside the rule class; store them flush left."""
    return textwrap.dedent(code).lstrip("\n")
