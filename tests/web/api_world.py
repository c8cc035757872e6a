"""A small organisation behind the API: demo data, one account and API key per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.databases import load_demo_copy
from tests.postgres_server import TEST_SECRET_KEY, PostgresServer

from cxgap.services import accounts
from cxgap.settings import get_settings
from cxgap.store.database import get_engine, transaction, upgrade
from cxgap.web.limits import RateLimiter
from cxgap.web.main import create_app

ROLES = accounts.ROLES
PASSWORD = "correct horse battery staple"
SURVEY = "heating-2026q4"
EARLIER = "heating-2026q3"


@dataclass
class World:
    engine: Engine
    client: TestClient
    keys: dict[str, str]
    """role -> API key of that role's account."""
    users: dict[str, int]
    """role -> user id."""

    def as_role(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


def plan_body(**change: object) -> dict[str, object]:
    """An action plan on the demo survey's responsiveness gap in one region."""
    return {
        "title": "Call back within a day",
        "survey": SURVEY,
        "gap": "dimension:responsiveness",
        "owner": "manager@example.org",
        "starts_on": "2026-10-01",
        "unit_attribute": "region",
        "targeted_units": ["north"],
    } | change


def build_world(
    folder: Path, *, demo: bool = True, api_limit: int = 10**9, url: str | None = None
) -> World:
    """The organisation in a SQLite file in ``folder``, or in the database at ``url``."""
    engine = get_engine(url or str(folder / "api.db"))
    upgrade(engine)
    if demo:
        load_demo_copy(engine, seed=3, customers=300)
    keys: dict[str, str] = {}
    users: dict[str, int] = {}
    with transaction(engine) as session:
        for role in ROLES:
            user = accounts.create_user(session, f"{role}@example.org", PASSWORD, role=role)
            keys[role] = accounts.create_api_key(session, user, f"{role} key", actor="test").key
            users[role] = user.id
    app = create_app(engine, base_url="http://testserver")
    app.state.api_limiter = RateLimiter(api_limit)
    return World(engine, TestClient(app), keys, users)


def world_on(request: pytest.FixtureRequest, folder: Path) -> Iterator[World]:
    """A module's world on the backend of ``request.param`` (``sqlite`` or ``postgresql``):
    the body of a module-scoped fixture parametrised with ``BACKENDS``."""
    if request.param == "sqlite":
        yield build_world(folder)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.new_database()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CXGAP_SECRET_KEY", TEST_SECRET_KEY)
        get_settings.cache_clear()
        built = build_world(folder, url=url)
        yield built
    get_settings.cache_clear()
    built.engine.dispose()
    server.drop_database(url)
