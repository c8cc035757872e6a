"""Fixtures for the web layer: the real app over a real SQLite file, in-process client."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cxgap.services.collection import create_invitations
from cxgap.web.limits import WebOptions
from cxgap.web.main import create_app

from .helpers import CHROMIUM


@pytest.fixture
def make_client(engine: Engine) -> Callable[..., TestClient]:
    def make(**options: object) -> TestClient:
        app = create_app(engine, options=WebOptions(**options), base_url="http://testserver")  # type: ignore[arg-type]
        return TestClient(app)

    return make


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def new_link(engine: Engine, client: TestClient) -> Callable[..., str]:
    def make(survey: str = "mini-w1", **kw: object) -> str:
        secret = client.app.state.secret  # type: ignore[attr-defined]
        kw.setdefault("unassigned", 0 if kw.get("anonymous") else 1)
        return create_invitations(engine, secret, survey, **kw)[0].token  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser for the browser tests; its absence is a failure, never a skip."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(.ci/apt/web.txt); run scripts/setup-tests.sh as root to install it"
        )
    return CHROMIUM
