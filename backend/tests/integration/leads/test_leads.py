import httpx
from sqlalchemy import select

from app.db import Database
from app.models import Lead


async def test_a_lead_is_stored_without_credentials(client: httpx.AsyncClient, database: Database) -> None:
    response = await client.post(
        "/api/v1/leads", json={"email": "cto@example.com", "company": "Acme", "message": "Pilot?", "source": "docs"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["id"].startswith("lead_")
    async with database.readers() as session:
        lead = (await session.execute(select(Lead).where(Lead.id == response.json()["id"]))).scalar_one()
    assert (lead.email, lead.company) == ("cto@example.com", "Acme")


async def test_a_lead_needs_a_valid_email(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/leads", json={"email": "nope"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
