"""The dashboard: sign-in, and server-rendered pages in English, Chinese and Persian.

Every page checks its permission (:data:`PAGES`); page errors are handled in
:mod:`cxgap.web.main` (no session: to ``/login``; a role without the permission: a 403
page).
"""

from fastapi import APIRouter

from cxgap.web.dashboard import (
    analysis_pages,
    browse,
    cases_pages,
    gap_pages,
    kpi_pages,
    login,
    recognition_pages,
    standard_pages,
)
from cxgap.web.dashboard.common import PAGES, Page, forbidden_page, message_page

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(analysis_pages.router)
router.include_router(browse.router)
router.include_router(cases_pages.router)
router.include_router(recognition_pages.router)
# before the Five gaps page: its decisions' path would take .../edit as a decision
router.include_router(standard_pages.router)
router.include_router(gap_pages.router)
router.include_router(kpi_pages.router)

__all__ = ["PAGES", "Page", "forbidden_page", "message_page", "router"]
