"""The operator's view of the captured screen: the image only, to the right session, never another tenant."""

from typing import Any

import httpx
from conftest import TenantKeys
from support.flows import create_handoff, drive_to_completed, link_token
from support.payloads import tiny_png


async def test_operator_and_admin_get_the_captured_screenshot(opened: Any, tenant: TenantKeys) -> None:
    for who in (opened.operator, tenant.admin):
        response = await opened.client.get(opened.path("screenshot"), headers=who)
        assert response.status_code == 200
        assert response.content == tiny_png()
        assert response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "no-store"


async def test_the_operator_cookie_alone_is_enough(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    opened = await client.post(
        f"/api/v1/handoffs/{created['id']}/open", json={"token": link_token(created["mobile_url"])}
    )
    assert opened.status_code == 200
    assert "bp_operator" in client.cookies
    response = await client.get(f"/api/v1/handoffs/{created['id']}/screenshot")
    assert response.status_code == 200
    assert response.content == tiny_png()
    client.cookies.clear()


async def test_agents_and_strangers_do_not_get_the_screenshot(
    opened: Any, tenant: TenantKeys, other_tenant: TenantKeys, new_opened: Any
) -> None:
    as_agent = await opened.client.get(opened.path("screenshot"), headers=tenant.agent)
    assert as_agent.status_code == 403
    other_admin = await opened.client.get(opened.path("screenshot"), headers=other_tenant.admin)
    assert other_admin.status_code == 404
    other = await new_opened(other_tenant)
    cross_operator = await opened.client.get(opened.path("screenshot"), headers=other.operator)
    assert cross_operator.status_code == 404
    second_same_tenant = await new_opened(tenant)
    sibling = await opened.client.get(opened.path("screenshot"), headers=second_same_tenant.operator)
    assert sibling.status_code == 404, "an operator session is bound to its one handoff"
    anonymous = await opened.client.get(opened.path("screenshot"))
    assert anonymous.status_code == 401


async def test_view_gives_context_and_viewport_but_never_cookies_or_dom(opened: Any) -> None:
    response = await opened.client.get(opened.path("view"), headers=opened.operator)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    view = response.json()
    assert view["handoff"]["id"] == opened.id
    assert view["handoff"]["interruption_type"] == "twofa"
    assert view["viewport"] == {"width": 1280, "height": 800, "device_scale_factor": 1.0}
    assert view["screenshot_url"] == f"/api/v1/handoffs/{opened.id}/screenshot"
    assert view["latest_frame"] is None
    assert "s3cr3t" not in response.text
    assert "one-time-code" not in response.text

    await opened.frame(0)
    view = (await opened.client.get(opened.path("view"), headers=opened.operator)).json()
    assert view["latest_frame"]["seq"] == 0


async def test_screenshot_is_gone_after_the_handoff_ends(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    await drive_to_completed(client, tenant.agent, created)
    response = await client.get(f"/api/v1/handoffs/{created['id']}/screenshot", headers=tenant.admin)
    assert response.status_code == 410
    assert response.json()["type"].endswith("/screen-purged")
    view = await client.get(f"/api/v1/handoffs/{created['id']}/view", headers=tenant.admin)
    assert view.json()["screenshot_url"] is None
