"""The lint rules: one declaration per rule (code, name, category, severity, examples) beside
its check, in modules by concept. `docs/lint.md` is generated from `RULES`; titles and
explanations come from `railguard/policylang/codes.py`, the one registry of codes.

Importing this package imports every rule module, which registers its rules.
"""

from railguard.policylang.lintrules import builtins as builtins
from railguard.policylang.lintrules import conflicts as conflicts
from railguard.policylang.lintrules import fallbacks as fallbacks
from railguard.policylang.lintrules import folding as folding
from railguard.policylang.lintrules import regexes as regexes
from railguard.policylang.lintrules import settings as settings
from railguard.policylang.lintrules import style as style
from railguard.policylang.lintrules import tokens as tokens
from railguard.policylang.lintrules import tools as tools
from railguard.policylang.lintrules.base import RULES, LintRule, PolicyContext

__all__ = ["RULES", "LintRule", "PolicyContext"]
