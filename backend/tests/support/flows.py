from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from support.payloads import handoff_body


def link_token(mobile_url: str) -> str:
    return parse_qs(urlsplit(mobile_url).query)["t"][0]


async def create_handoff(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/handoffs", json=handoff_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def open_handoff(client: httpx.AsyncClient, created: dict[str, Any]) -> dict[str, str]:
    """Redeem the link; return headers that act as that operator."""
    response = await client.post(
        f"/api/v1/handoffs/{created['id']}/open", json={"token": link_token(created["mobile_url"])}
    )
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['session_token']}"}


async def drive_to_completed(
    client: httpx.AsyncClient, headers: dict[str, str], created: dict[str, Any]
) -> dict[str, Any]:
    operator = await open_handoff(client, created)
    hid = created["id"]
    for path, body, who in (
        ("solving", None, operator),
        ("resolve", {"action": {"type": "otp", "code": "123456"}}, operator),
        ("resumed", None, headers),
        ("completed", {"task_outcome": "success"}, headers),
    ):
        response = await client.post(f"/api/v1/handoffs/{hid}/{path}", json=body, headers=who)
        assert response.status_code == 200, response.text
    final: dict[str, Any] = response.json()
    return final
