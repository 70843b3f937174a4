from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.handoffs.schemas import HandoffOut, Viewport

# Playwright key names the phone offers; anything else is refused so the agent never gets a surprise.
RelayKey = Literal[
    "Enter", "Tab", "Shift+Tab", "Backspace", "Delete", "Escape", "Space",
    "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown",
]  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClickAction(_Strict):
    """A tap on the captured screen, mapped on the phone to CSS pixels of the agent's viewport."""

    type: Literal["click"]
    x: float = Field(ge=0, le=16384, description="CSS pixels from the viewport's left edge.")
    y: float = Field(ge=0, le=16384, description="CSS pixels from the viewport's top edge.")


class TypeAction(_Strict):
    """Text to insert at the page's focus."""

    type: Literal["type"]
    text: str = Field(min_length=1, max_length=2000)


class PressAction(_Strict):
    """One special key."""

    type: Literal["press"]
    key: RelayKey


RelayActionIn = Annotated[ClickAction | TypeAction | PressAction, Field(discriminator="type")]


class RelayActionOut(BaseModel):
    handoff_id: str
    seq: int = Field(description="Per-handoff position of this action; rises by exactly 1.")
    action: RelayActionIn
    created_at: datetime
    handoff_state: str = Field(description="The handoff's state after this action (solving).")


class FrameUpload(_Strict):
    """A fresh image of the agent's page after it applied actions up to `seq`."""

    seq: int = Field(ge=0, description="The last relay action this image reflects (0: none).")
    image: str = Field(
        min_length=8, description="Base64 of a JPEG, PNG or WebP image of the viewport (data: URL allowed)."
    )
    viewport: Viewport | None = Field(
        None, description="The viewport the image shows, when it differs from the snapshot's."
    )


class FrameOut(BaseModel):
    frame_id: int
    handoff_id: str
    seq: int
    media_type: str
    size_bytes: int
    viewport: Viewport | None
    created_at: datetime
    url: str = Field(description="Where an operator fetches this frame's image.")


class OperatorView(BaseModel):
    """What the phone needs to draw the handoff: context, the captured viewport, the newest frame."""

    handoff: HandoffOut
    viewport: Viewport | None = Field(description="The snapshot's viewport (for tap mapping).")
    screenshot_url: str | None = Field(description="The captured screen; absent once purged.")
    latest_frame: FrameOut | None
    last_action_seq: int
    acked_seq: int = Field(description="Highest action seq a frame has reflected.")
