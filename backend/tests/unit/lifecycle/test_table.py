from app.lifecycle.states import TERMINAL_STATES, ActorType, State
from app.lifecycle.table import EDGES, allowed_targets, is_legal


def test_there_are_thirteen_states() -> None:
    assert len(State) == 13


def test_terminal_states_have_no_way_out() -> None:
    for state in TERMINAL_STATES:
        assert allowed_targets(state) == []


def test_every_non_terminal_state_can_fail() -> None:
    for state in State:
        if state not in TERMINAL_STATES:
            assert State.FAILED in allowed_targets(state)


def test_nothing_after_solved_can_expire() -> None:
    for state in (State.SOLVED, State.RESUME_REQUESTED, State.RESUMED):
        assert State.EXPIRED not in allowed_targets(state)


def test_happy_path_is_a_chain_of_legal_edges() -> None:
    path = [
        (State.CREATED, State.DETECTED, ActorType.SERVER),
        (State.DETECTED, State.FROZEN, ActorType.SERVER),
        (State.FROZEN, State.NOTIFIED, ActorType.SERVER),
        (State.NOTIFIED, State.OPENED, ActorType.OPERATOR),
        (State.OPENED, State.SOLVING, ActorType.OPERATOR),
        (State.SOLVING, State.SOLVED, ActorType.OPERATOR),
        (State.SOLVED, State.RESUME_REQUESTED, ActorType.SERVER),
        (State.RESUME_REQUESTED, State.RESUMED, ActorType.AGENT),
        (State.RESUMED, State.COMPLETED, ActorType.AGENT),
    ]
    for current, target, actor in path:
        assert is_legal(current, target, actor)


def test_escalation_loop_is_timer_driven() -> None:
    assert is_legal(State.NOTIFIED, State.ESCALATED, ActorType.TIMER)
    assert not is_legal(State.NOTIFIED, State.ESCALATED, ActorType.AGENT)
    assert is_legal(State.ESCALATED, State.NOTIFIED, ActorType.SERVER)


def test_agents_cannot_resolve() -> None:
    assert not is_legal(State.SOLVING, State.SOLVED, ActorType.AGENT)


def test_every_edge_names_at_least_one_actor() -> None:
    assert all(actors for actors in EDGES.values())
