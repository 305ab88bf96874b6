"""Text the domain and the workers show people is marked for translation (N_), never built in bare English."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
# The platform clients' refusals reach staff too, kept on outbox rows.
MODULES = sorted([*ROOT.glob("assessment/*.py"), *ROOT.glob("workers/*.py"), ROOT / "lti_tool/advantage.py",
                  ROOT / "lti_tool/outbound.py"])
# Errors whose message reaches a person: the domain's refusals, and the outbox's reasons shown to staff.
SHOWN_ERRORS = {"AssessmentError", "NotAllowed", "NotFound", "InvalidInput", "PhaseClosed", "SettingsLocked",
                "AdvantageError", "OutboundError", "OutboundRefused", "OutboundUnreachable", "OutboundTimeout",
                "OutboundTooLarge"}


def bare_text(node: ast.AST | None) -> bool:
    """An English string literal or f-string, rather than a marked message."""
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)
                                               and any(character.isalpha() for character in node.value))


def unmarked_text(tree: ast.AST) -> list[int]:
    """Lines where text meant for a person is bare: an error's message or problems, or a value put in `problems`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in SHOWN_ERRORS and node.args:
            first = node.args[0]
            values = first.values if isinstance(first, ast.Dict) else [first]
            lines += [node.lineno for value in values if bare_text(value)]
        elif _fills_problems(node) and bare_text(getattr(node, "value", None)):
            lines.append(node.lineno)
    return lines


def _fills_problems(node: ast.AST) -> bool:
    """`problems[key] = ...`, or a comprehension of problems (`missing = {key: ... for ...}`)."""
    if isinstance(node, ast.Assign):
        return any(isinstance(target, ast.Subscript) and getattr(target.value, "id", "") == "problems"
                   for target in node.targets)
    return isinstance(node, ast.DictComp)


def test_the_check_finds_bare_text_and_lets_marked_text_pass():
    bare = ast.parse('raise PhaseClosed("Closed.")\nproblems["a"] = "Fix it."\nraise InvalidInput({"a": f"x{y}"})\n'
                     'missing = {c: "Give a score." for c in criteria}')
    marked = ast.parse('raise PhaseClosed(N_("Closed."))\nproblems["a"] = N_("Fix it.")\nraise NotFound(message)')

    assert sorted(unmarked_text(bare)) == [1, 2, 3, 4]
    assert unmarked_text(marked) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_text_for_people_is_marked_for_translation(module):
    assert unmarked_text(ast.parse(module.read_text(encoding="utf-8"))) == []
