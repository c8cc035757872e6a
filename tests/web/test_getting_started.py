"""A newcomer's first steps: a fast command line, `cxgap serve` giving a survey link and a
sign-in, the site's root and icon, and the README's tour run top to bottom."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cxgap.cli.app import DEMO_ADMIN
from cxgap.web.main import create_app

from .helpers import hidden

Cli = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return env


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["surveys", "--help"]])
def test_simple_commands_do_not_import_the_heavy_libraries(args: list[str]) -> None:
    code = (
        "import sys\nfrom cxgap.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "heavy = ('pandas', 'scipy', 'sqlalchemy', 'numpy', 'fastapi')\n"
        "print('LOADED', [m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True
    )
    assert "LOADED []" in done.stdout, done.stdout


def _fake_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


def test_serve_gives_a_sign_in_and_a_working_survey_link(
    cli: Cli, engine: Engine, mini_survey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fake_uvicorn(monkeypatch)
    db = str(engine.url.database)
    code, out, _ = cli("--db", db, "serve", "--port", "8124")
    assert code == 0
    assert "dashboard sign-in (shown once): admin@cxgap.demo / " in out
    password = out.split("admin@cxgap.demo / ")[1].split()[0]
    link = re.search(r"http://127\.0\.0\.1:8124(/s/\S+)", out)
    assert link is not None, out
    client = TestClient(calls[-1]["app"])
    assert client.get(link.group(1)).status_code == 200
    form = client.get("/login")
    signed_in = client.post(
        "/login",
        data={"_csrf": hidden(form.text, "_csrf"), "email": DEMO_ADMIN, "password": password},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert client.get("/dashboard").status_code == 200
    # the next start prints a survey link again, but no second account
    code, out, _ = cli("--db", db, "serve", "--port", "8124")
    assert code == 0 and "/s/" in out and "sign-in (shown once)" not in out


def test_serve_on_a_busy_port_says_what_to_do(
    cli: Cli, engine: Engine, mini_survey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fake_uvicorn(monkeypatch)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = cli("--db", str(engine.url.database), "serve", "--port", str(port))
    assert code != 0 and not calls
    assert "serving at" not in out
    assert f"port {port}" in err and "--port" in err and "Traceback" not in err


def test_root_leads_to_the_dashboard_and_there_is_an_icon(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    root = client.get("/", follow_redirects=False)
    assert root.status_code in (302, 303, 307) and root.headers["location"] == "/dashboard"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")


def _tour() -> list[str]:
    """The commands of the README's tour, continuation lines joined."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## A short tour", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


# Long-running commands: `serve` runs until stopped (its start is tested above).
NOT_RUN = ("cxgap serve",)


@pytest.mark.slow
def test_the_readme_tour_runs_top_to_bottom(tmp_path: Path) -> None:
    (tmp_path / "src").symlink_to(SRC)  # the tour runs from the repository's root
    env = _env() | {"CXGAP_DATABASE_URL": f"sqlite:///{tmp_path / 'cxgap.db'}"}
    commands = ["cxgap start", *_tour()]  # the README's first command, then the tour
    assert any(c.startswith("cxgap demo") for c in commands)
    ran = 0
    for command in commands:
        if command.startswith(NOT_RUN):
            continue
        argv = shlex.split(command)
        assert argv[0] == "cxgap"
        if argv[1:3] == ["users", "create"] and "--password-stdin" not in argv:
            argv.append("--password-stdin")  # a person types it at the prompt; no terminal here
        done = subprocess.run(
            [sys.executable, "-m", "cxgap", *argv[1:]],
            cwd=tmp_path,
            env=env,
            input="Secret-pass-123\nSecret-pass-123\n",
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, command
        ran += 1
    assert ran >= 15
