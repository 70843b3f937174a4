from app.escalation.engine import _next_position


def _escalation(steps: int, repeat: int, loop: int, step: int) -> dict[str, object]:
    return {"steps": [{"operator_id": f"op_{i}"} for i in range(steps)], "repeat": repeat, "loop": loop, "step": step}


def test_walks_the_steps_in_order() -> None:
    assert _next_position(_escalation(3, 0, 0, 0)) == (0, 1)
    assert _next_position(_escalation(3, 0, 0, 1)) == (0, 2)


def test_exhausted_after_the_last_step_without_repeat() -> None:
    assert _next_position(_escalation(3, 0, 0, 2)) is None


def test_repeat_starts_the_chain_over() -> None:
    assert _next_position(_escalation(2, 1, 0, 1)) == (1, 0)
    assert _next_position(_escalation(2, 1, 1, 1)) is None
