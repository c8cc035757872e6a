"""``cxgap serve`` (the web application) and ``cxgap invitations create`` (survey links)."""

from __future__ import annotations

import csv
import gc
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cxgap.cli.app import app, console
from cxgap.cli.checks import language, output_file
from cxgap.cli.context import cli_actor, state
from cxgap.errors import ConfigurationError, ConflictError
from cxgap.text import counted

if TYPE_CHECKING:
    from cxgap.settings import WebSettings

invitations_app = typer.Typer(help="Survey links for customers or managers.", no_args_is_help=True)
app.add_typer(invitations_app, name="invitations")


def _secret() -> bytes:
    from cxgap.services.collection import signing_secret

    return signing_secret(state.url)


def freeze_loaded_objects() -> None:
    """Exempt everything loaded at start-up from garbage collection.

    A server's requests leave many short-lived objects that survive a young collection
    (they were still in flight), which triggers full collections; each one traverses
    every module, class and cache loaded at start-up (about 0.1 s here, stalling every
    request in flight). Frozen, those are skipped: full collections take a few ms.
    """
    gc.collect()
    gc.freeze()


def check_port_free(host: str, port: int) -> None:
    """Refuse, before anything is announced, a port another program already listens on."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConflictError(
                f"cannot serve at {host} port {port}: {exc.strerror or exc} (another program, "
                f"perhaps another cxgap serve, is using it); stop it, or choose a free port "
                f"with --port {port + 1 if port < 65535 else 8000}"
            ) from None


SERVE_OPTIONS = {"web.proxy_headers": "--proxy-headers", "web.secure_cookies": "--secure-cookies"}
"""Settings that `cxgap serve` options override, with the option's name."""


def web_settings(**overrides: object) -> WebSettings:
    """The web settings, with the command-line options given (not ``None``) applied."""
    from cxgap.settings import get_settings

    given = {name: value for name, value in overrides.items() if value is not None}
    return get_settings().web.model_copy(update=given)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the demo organisation first when the database is empty.")
    ] = True,
    proxy_headers: Annotated[
        bool | None,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Behind a reverse proxy: trust its X-Forwarded-For/-Proto headers "
            "(from CXGAP_FORWARDED_ALLOW_IPS). Default: CXGAP_PROXY_HEADERS.",
            show_default=False,
        ),
    ] = None,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Mark cookies Secure (users reach the server through HTTPS). "
            "Default: CXGAP_SECURE_COOKIES, or on when CXGAP_BASE_URL is https.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes. More than 1 needs PostgreSQL; each process then allows "
            "1/N of every per-minute rate limit.",
        ),
    ] = 1,
) -> None:
    """Run the web application (survey forms) until interrupted."""
    import uvicorn

    from cxgap.cli.app import first_admin, survey_link
    from cxgap.services.demo import load_demo
    from cxgap.web.dashboard.analysis_pages import warm_up
    from cxgap.web.main import create_app

    web = web_settings(proxy_headers=proxy_headers, secure_cookies=secure_cookies)

    if workers > 1 and not state.url.startswith("postgresql"):
        raise ConfigurationError(
            f"--workers {workers}: several server processes need PostgreSQL (the database is "
            f"{state.url}); a SQLite file has one writer, which one process's batching "
            "writer keeps. Use --workers 1, or set CXGAP_DATABASE_URL (or --db) to "
            "postgresql+psycopg://user:password@host/dbname"
        )
    check_port_free(host, port)
    engine = state.engine()
    console.print(f"database: {engine.url.render_as_string(hide_password=True)}")
    address = f"http://{host}:{port}"
    base = (web.base_url or address).rstrip("/")
    if demo:
        with console.status("empty database: loading the demo organisation..."):
            loaded = load_demo(engine, if_empty=True)
        if loaded is not None:
            console.print(f"loaded the demo organisation ({counted(loaded.responses, 'response')})")
    survey_link(engine, base)
    first_admin(engine, actor="cxgap serve")
    if workers > 1:
        _serve_workers(
            engine.url.render_as_string(hide_password=False), web, base, host, port, workers
        )
        return
    application = create_app(engine, options=web, base_url=base)
    with console.status("warming up the dashboard (database sums, charts)..."):
        warm_up(engine)
    freeze_loaded_objects()
    _announce(address, web)
    uvicorn.run(application, **_server_options(web, host, port))


def _server_options(web: WebSettings, host: str, port: int) -> dict[str, Any]:
    """uvicorn's options for one process or several."""
    return {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "proxy_headers": web.proxy_headers,
        "forwarded_allow_ips": web.forwarded_allow_ips,
    }


def _announce(address: str, web: WebSettings) -> None:
    console.print(f"cxgap is serving at {address} (Ctrl+C stops it)", highlight=False)
    console.print(
        f"dashboard: {address}/dashboard · API: {address}/api/v1/openapi.json", highlight=False
    )
    console.print(
        f"cookies: {'Secure (HTTPS only)' if web.cookies_secure else 'not Secure (plain HTTP)'} · "
        + (
            f"proxy headers trusted from {web.forwarded_allow_ips}"
            if web.proxy_headers
            else "proxy headers ignored"
        ),
        highlight=False,
        markup=False,
    )


def _serve_workers(
    url: str, web: WebSettings, base: str, host: str, port: int, workers: int
) -> None:
    """Several uvicorn worker processes; each builds its application from the settings
    put in its environment (:mod:`cxgap.web.workers`)."""
    import os

    import uvicorn

    from cxgap.web.workers import share_limits, worker_environment

    os.environ.update(worker_environment(url, web, base, workers))
    shared = share_limits(web, workers)
    _announce(f"http://{host}:{port}", web)
    console.print(
        f"workers: {workers} processes · rate limits are counted in each process, so each "
        f"allows 1/{workers} of every per-minute limit (sign-in attempts "
        f"{shared.login_attempts_per_minute}/min per address, API requests "
        f"{shared.api_requests_per_minute}/min per key) · caches are per process and follow "
        "the database",
        highlight=False,
        markup=False,
    )
    uvicorn.run(
        "cxgap.web.workers:worker_app",
        factory=True,
        workers=workers,
        **_server_options(web, host, port),
    )


@invitations_app.command("create")
def invitations_create(
    survey: Annotated[str, typer.Option(help="Survey the links lead to.")],
    customers: Annotated[
        Path | None,
        typer.Option(help="Text or CSV file of customer ids (first column), one per line."),
    ] = None,
    all_customers: Annotated[
        bool,
        typer.Option(
            "--all",
            help="A link for every customer of the survey's audience (customers known only "
            "from surveys of another audience, such as managers, are left out).",
        ),
    ] = False,
    again: Annotated[
        bool,
        typer.Option("--again", help="Also give a second link to customers who already have one."),
    ] = False,
    anonymous: Annotated[
        int, typer.Option(min=0, help="Shared links anyone may open (each browser answers once).")
    ] = 0,
    unassigned: Annotated[
        int, typer.Option(min=0, help="Single-use links for no one in particular.")
    ] = 0,
    expires_days: Annotated[
        float, typer.Option(min=0.01, help="Days until the links expire.")
    ] = 30,
    lang: Annotated[
        str | None, typer.Option(help="Language of the form: en, zh or fa (default: browser's).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="Address the respondents reach the server at "
            "(default: the CXGAP_BASE_URL setting, else http://127.0.0.1:8000)."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write customer,link rows to this CSV.")] = None,
) -> None:
    """Create invitation links; each link is printed (or written) once and never stored."""
    from cxgap.services.surveys import issue_invitations
    from cxgap.settings import get_settings
    from cxgap.web.main import DEFAULT_BASE_URL

    lang = language(lang)
    if out is not None:
        output_file(out, suffixes=(".csv",))
    ids: list[str] | None = None
    if customers is not None:
        with customers.open(encoding="utf-8-sig", newline="") as handle:
            rows = [row[0].strip() for row in csv.reader(handle) if row and row[0].strip()]
        ids = [r for r in rows if r.lower() not in ("customer_id", "customer", "id")]
    links = issue_invitations(
        state.engine(),
        _secret(),
        survey,
        actor=cli_actor(),
        again=again,
        customers=ids,
        all_customers=all_customers,
        anonymous=anonymous,
        unassigned=unassigned,
        expires_days=expires_days,
        language=lang,
    )
    base = (base_url or get_settings().web.base_url or DEFAULT_BASE_URL).rstrip("/")
    if out is not None:
        from cxgap.services.response_browser import write_csv

        write_csv(
            out,
            ["customer", "kind", "link", "expires"],
            (
                [
                    link.customer or "",
                    link.kind,
                    f"{base}/s/{link.token}",
                    f"{link.expires_at:%Y-%m-%d}",
                ]
                for link in links
            ),
        )
        console.print(f"{counted(len(links), 'link')} to survey {survey!r} written to {out}")
        return
    for link in links:
        who = link.customer or link.kind
        console.print(f"{who}  {base}/s/{link.token}", highlight=False, markup=False)
    console.print(
        f"{counted(len(links), 'link')}, valid until {links[0].expires_at:%Y-%m-%d %H:%M} UTC"
    )
