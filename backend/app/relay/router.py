from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.auth.principal import AgentOrAdmin, AnyPrincipal, Operator, Principal, SessionDep, requires
from app.handoffs.schemas import HandoffId, Viewport
from app.kit.http import request_context
from app.kit.problems import PayloadTooLarge, Unprocessable
from app.lifecycle.states import ActorType
from app.relay.schemas import FrameOut, FrameUpload, OperatorView, RelayActionIn, RelayActionOut
from app.relay.service import RelayService, decode_frame_image
from app.runtime import Runtime, get_runtime

router = APIRouter(prefix="/handoffs", tags=["relay"])

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
OperatorOrAdmin = Annotated[Principal, requires(ActorType.OPERATOR, ActorType.ADMIN)]
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def _service(request: Request, session: SessionDep, runtime: RuntimeDep) -> RelayService:
    return RelayService(session, runtime, request_context(request))


ServiceDep = Annotated[RelayService, Depends(_service)]


def _schema_ref(model: type[FrameUpload]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


_FRAME_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _schema_ref(FrameUpload)},
            **{media: {"schema": {"type": "string", "format": "binary"}} for media in IMAGE_TYPES},
        },
        "description": "JSON with a base64 image, or the raw image bytes with `seq` as a query parameter.",
    }
}
_IMAGE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in IMAGE_TYPES}, "description": "The image."}
}


@router.post("/{handoff_id}/actions", status_code=202, response_model=RelayActionOut)
async def post_action(
    handoff_id: HandoffId, action: RelayActionIn, principal: Operator, service: ServiceDep
) -> RelayActionOut:
    """Relay one operator input (tap, text, key) to the agent; the first one starts `solving`."""
    return await service.post_action(principal, handoff_id, action)


@router.post("/{handoff_id}/frames", status_code=201, response_model=FrameOut, openapi_extra=_FRAME_BODY)
async def upload_frame(
    handoff_id: HandoffId,
    request: Request,
    principal: AgentOrAdmin,
    service: ServiceDep,
    runtime: RuntimeDep,
    seq: Annotated[int | None, Query(ge=0, description="With a raw image body: the action seq.")] = None,
    width: Annotated[int | None, Query(ge=1, le=16384)] = None,
    height: Annotated[int | None, Query(ge=1, le=16384)] = None,
    device_scale_factor: Annotated[float | None, Query(gt=0, le=10)] = None,
) -> FrameOut:
    """Upload a fresh image of the live page, reflecting the operator's actions up to `seq`."""
    limit = runtime.settings.relay_frame_max_bytes
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit * 4 // 3 + 4096:
        raise PayloadTooLarge(f"The frame upload is {declared} bytes; frames are limited to {limit} bytes.")
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    body = await request.body()
    if media in IMAGE_TYPES:
        if seq is None:
            raise Unprocessable("A raw image upload needs the `seq` query parameter.", field="seq")
        viewport = (
            Viewport(width=width, height=height, device_scale_factor=device_scale_factor or 1.0)
            if width and height
            else None
        )
        return await service.upload_frame(principal, handoff_id, image=body, seq=seq, viewport=viewport)
    if media != "application/json":
        raise Unprocessable(
            "Send the frame as application/json ({seq, image, viewport}) or as raw "
            f"{', '.join(IMAGE_TYPES)} bytes; got '{media or 'no content type'}'."
        )
    try:
        upload = FrameUpload.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc
    image = decode_frame_image(upload.image)
    return await service.upload_frame(principal, handoff_id, image=image, seq=upload.seq, viewport=upload.viewport)


@router.get("/{handoff_id}/frames/latest", response_class=Response, responses=_IMAGE_RESPONSE)
async def latest_frame(handoff_id: HandoffId, principal: AnyPrincipal, service: ServiceDep) -> Response:
    """The newest frame the agent uploaded (never cached)."""
    found = await service.latest_frame(principal, handoff_id)
    headers = {
        **NO_STORE,
        "X-Frame-Id": str(found.frame.id),
        "X-Frame-Seq": str(found.frame.seq),
    }
    return Response(found.image, media_type=found.frame.media_type, headers=headers)


@router.get("/{handoff_id}/screenshot", response_class=Response, responses=_IMAGE_RESPONSE)
async def screenshot(handoff_id: HandoffId, principal: OperatorOrAdmin, service: ServiceDep) -> Response:
    """The screen captured when the handoff was created — the image only, never cookies or DOM."""
    image, media_type = await service.screenshot(principal, handoff_id)
    return Response(image, media_type=media_type, headers=NO_STORE)


@router.get("/{handoff_id}/view", response_model=OperatorView)
async def operator_view(
    handoff_id: HandoffId, principal: AnyPrincipal, service: ServiceDep, response: Response
) -> OperatorView:
    """Everything the phone needs to draw the handoff: context, viewport, newest frame, relay position."""
    response.headers.update(NO_STORE)
    return await service.view(principal, handoff_id)
