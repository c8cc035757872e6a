"""Several server processes (``cxgap serve --workers N``, PostgreSQL only).

uvicorn starts each worker process afresh and builds its application with
:func:`worker_app` from the ordinary settings, which ``cxgap serve`` puts in the workers'
environment (the database URL, the resolved web options and the shared-out rate limits).

Rate limits count in memory, in each process. Connections are spread over the processes by
the kernel, so with ``N`` workers each process allows ``1/N`` of every per-minute limit
(:func:`share_limits`): all processes together never allow more than the configured
limit, and a client whose requests all reach one process (one kept-alive connection) gets
at least ``1/N`` of it. The caches (survey tables, analyses) are per process too; each
entry is keyed by a version read from the database, so no process serves data another
has changed, and each process spends its own memory on them.
"""

from __future__ import annotations

import gc
import os

from fastapi import FastAPI

from cxgap.settings import WebSettings

RATE_LIMITS = (
    "link_posts_per_minute",
    "address_posts_per_minute",
    "address_respondents_per_minute",
    "login_attempts_per_minute",
    "api_requests_per_minute",
)
"""The per-minute limits that :func:`share_limits` divides among the processes."""


def share_limits(options: WebSettings, workers: int) -> WebSettings:
    """``options`` with each per-minute rate limit divided among ``workers`` processes
    (rounded down, at least 1 per process)."""
    shared = {name: max(1, getattr(options, name) // workers) for name in RATE_LIMITS}
    return options.model_copy(update=shared)


def worker_environment(
    database_url: str, options: WebSettings, base_url: str, workers: int
) -> dict[str, str]:
    """The ``CXGAP_*`` variables that make each worker build the application the parent
    announced: this database, these options, this base URL, the limits shared out."""
    per_process = share_limits(options, workers)
    env = {
        "CXGAP_DATABASE_URL": database_url,
        "CXGAP_BASE_URL": base_url,
        "CXGAP_PROXY_HEADERS": str(per_process.proxy_headers).lower(),
        "CXGAP_SECURE_COOKIES": str(per_process.cookies_secure).lower(),
        "CXGAP_FORWARDED_ALLOW_IPS": per_process.forwarded_allow_ips,
    }
    env.update({f"CXGAP_{name.upper()}": str(getattr(per_process, name)) for name in RATE_LIMITS})
    return env


def worker_app() -> FastAPI:
    """The application of one worker process (uvicorn calls it in each worker)."""
    from cxgap.services.database import open_database
    from cxgap.settings import get_settings
    from cxgap.web.dashboard.analysis_pages import warm_up
    from cxgap.web.main import create_app

    settings = get_settings()
    application = create_app(
        open_database(settings.database_url),
        options=settings.web,
        base_url=settings.web.base_url,
    )
    application.state.worker_pid = os.getpid()
    warm_up(application.state.engine)  # before the worker accepts requests
    gc.collect()  # as `cxgap serve` does for one process: start-up objects skip full GCs
    gc.freeze()
    return application
