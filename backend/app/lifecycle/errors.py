from app.kit.problems import Conflict, Forbidden
from app.lifecycle.states import ActorType, State


class IllegalTransition(Conflict):
    """The edge is not in the lifecycle table from the handoff's current state (→ 409)."""

    slug, title = "illegal-transition", "Illegal state transition"

    def __init__(self, handoff_id: str, current: State, target: State, allowed: list[State]) -> None:
        super().__init__(
            f"Handoff {handoff_id} is '{current}'; it cannot move to '{target}'.",
            handoff_id=handoff_id,
            current_state=str(current),
            target_state=str(target),
            allowed_targets=[str(s) for s in allowed],
        )
        self.current, self.target = current, target


class ActorNotAllowed(Forbidden):
    """The edge exists but this kind of actor may not take it (an agent cannot resolve its own handoff)."""

    slug, title = "actor-not-allowed", "Actor not allowed"

    def __init__(self, current: State, target: State, actor: ActorType) -> None:
        super().__init__(
            f"Actor type '{actor}' may not move a handoff from '{current}' to '{target}'.",
            current_state=str(current),
            target_state=str(target),
            actor_type=str(actor),
        )
