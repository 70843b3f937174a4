"""DESIGN §2 as data: every legal edge, and who may take it."""

from app.lifecycle.states import TERMINAL_STATES, ActorType, State

_BEFORE_SOLVED = (
    State.CREATED,
    State.DETECTED,
    State.FROZEN,
    State.NOTIFIED,
    State.OPENED,
    State.SOLVING,
    State.ESCALATED,
)
_NON_TERMINAL = tuple(s for s in State if s not in TERMINAL_STATES)

A, S, OP, T, AD = ActorType.AGENT, ActorType.SERVER, ActorType.OPERATOR, ActorType.TIMER, ActorType.ADMIN

EDGES: dict[tuple[State, State], frozenset[ActorType]] = {
    (State.CREATED, State.DETECTED): frozenset({S}),
    (State.DETECTED, State.FROZEN): frozenset({S}),
    (State.FROZEN, State.NOTIFIED): frozenset({S}),
    (State.FROZEN, State.SOLVED): frozenset({S}),
    (State.NOTIFIED, State.OPENED): frozenset({OP}),
    (State.NOTIFIED, State.ESCALATED): frozenset({T}),
    (State.ESCALATED, State.NOTIFIED): frozenset({S, T}),
    (State.OPENED, State.SOLVING): frozenset({OP}),
    (State.OPENED, State.SOLVED): frozenset({OP}),
    (State.SOLVING, State.SOLVED): frozenset({OP}),
    (State.SOLVED, State.RESUME_REQUESTED): frozenset({S}),
    (State.RESUME_REQUESTED, State.RESUMED): frozenset({A}),
    (State.RESUMED, State.COMPLETED): frozenset({A}),
    **{(s, State.EXPIRED): frozenset({T, AD}) for s in _BEFORE_SOLVED},
    **{(s, State.FAILED): frozenset({A, S, OP, AD}) for s in _NON_TERMINAL},
}

INITIAL_STATE = State.CREATED


def allowed_targets(current: State) -> list[State]:
    return [to for (frm, to) in EDGES if frm == current]


def is_legal(current: State, target: State, actor: ActorType) -> bool:
    return actor in EDGES.get((current, target), frozenset())
