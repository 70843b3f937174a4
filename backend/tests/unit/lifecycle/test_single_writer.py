"""Static proof that only app/lifecycle/transition.py writes a handoff's state."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[3] / "app"
THE_WRITER = APP / "lifecycle" / "transition.py"


def _state_writes(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in {"state", "version"}:
                lines.append(target.lineno)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"values", "update", "insert"}:
                for keyword in node.keywords:
                    if keyword.arg in {"state", "version"}:
                        lines.append(node.lineno)
                for arg in node.args:
                    if isinstance(arg, ast.Dict) and any(
                        isinstance(k, ast.Constant) and k.value in {"state", "version"} for k in arg.keys
                    ):
                        lines.append(node.lineno)
            if name == "Handoff":
                lines.extend(node.lineno for kw in node.keywords if kw.arg in {"state", "version"})
    return lines


def test_no_module_but_transition_writes_handoff_state() -> None:
    offenders = []
    for path in APP.rglob("*.py"):
        if path == THE_WRITER:
            continue
        for line in _state_writes(ast.parse(path.read_text(), filename=str(path))):
            offenders.append(f"{path.relative_to(APP.parent)}:{line}")
    assert offenders == [], "state may only be written by app/lifecycle/transition.py"


def test_the_scan_would_catch_a_raw_update() -> None:
    sample = "session.execute(update(Handoff).values(state='solved'))\nhandoff.state = 'x'\n"
    assert len(_state_writes(ast.parse(sample))) == 2
