"""Answers and page helpers shared by the web tests."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine

from cxgap.instruments import Instrument
from cxgap.services.collection.answers import item_columns
from cxgap.services.standards import create_standard
from cxgap.web.main import create_app

CHROMIUM = "/usr/bin/chromium"
"""The browser the browser tests drive (Debian's chromium, listed in ``.ci/apt/web.txt``)."""

VALID = {
    "rel1_adequate": "4",
    "rel1_desired": "8",
    "rel1_perceived": "6",
    "emp1_expected": "6",
    "emp1_perceived": "5",
    "dis1": "3",
    "nps": "9",
    "kano_app_functional": "1",
    "kano_app_dysfunctional": "5",
    "importance_reliability": "70",
    "importance_empathy": "30",
    "comment": "Quick and friendly",
}
"""A valid answer to every item of ``tests/data/mini.yaml``."""


def answers_for(instrument: Instrument, items: Iterable[str]) -> dict[str, str]:
    """A complete, valid answer to each of ``items``: the top of each scale (so a
    tolerance zone's adequate level is not above its desired one), the whole points
    total on the first option, a word of free text."""
    answers: dict[str, str] = {}
    for item_id in items:
        item = instrument.item(item_id)
        scale = instrument.item_scale(item)
        for n, (name, _) in enumerate(item_columns(item)):
            if item.format == "text":
                answers[name] = "fine"
            elif item.format == "points":
                answers[name] = str(item.total if n == 0 else 0)
            elif scale is not None:
                answers[name] = str(scale.max)
    return answers


def screenshot_folder() -> Path | None:
    """Where browser tests keep screenshots: ``$CXGAP_SCREENSHOTS`` (made), else nowhere."""
    if not os.environ.get("CXGAP_SCREENSHOTS"):
        return None
    folder = Path(os.environ["CXGAP_SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def hidden(page: str, name: str) -> str:
    """The value of a hidden form field of a rendered page."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    if found is None:
        raise AssertionError(f"no hidden field {name}")
    return found.group(1)


def form_data(page: str, **answers: str) -> dict[str, str]:
    """The fields a survey page posts to submit ``answers``."""
    return {
        "_csrf": hidden(page, "_csrf"),
        "_submission": hidden(page, "_submission"),
        "_action": "submit",
        **answers,
    }


@contextmanager
def running_server(engine: Engine) -> Iterator[str]:
    """The real application under uvicorn on a free loopback port, in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(engine, base_url=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not instance.started:
        raise AssertionError("server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


def propose_visit_window(engine: Engine, **fields: Any) -> None:
    """A proposed standard for the heating instrument's booked-window item (rel4);
    ``fields`` (e.g. ``effective_from``) are passed on."""
    create_standard(
        engine,
        "visit-window",
        actor="test",
        instrument="heating-cx",
        item="rel4",
        metric="share of visits inside the booked window",
        measure_unit="share",
        higher_is_better=True,
        floor=0.85,
        target=0.95,
        owner="planning",
        **fields,
    )


def standard_body(key: str) -> dict[str, Any]:
    """The API body of a proposed standard: hours until a technician arrives (res2)."""
    return {
        "key": key,
        "instrument": "heating-cx",
        "item": "res2",
        "metric": "hours until a technician arrives",
        "measure_unit": "hours",
        "higher_is_better": False,
        "floor": 8.0,
        "target": 4.0,
        "owner": "field service",
    }


def keep_screenshots(shots: Path) -> None:
    """Copy the screenshots in ``shots`` to ``$CXGAP_SCREENSHOTS`` when it is set."""
    if os.environ.get("CXGAP_SCREENSHOTS"):
        target = Path(os.environ["CXGAP_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copy(shot, target / shot.name)
