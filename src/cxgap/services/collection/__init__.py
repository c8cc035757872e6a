"""Survey collection: invitation links, drafts, answer checks and idempotent submission.

The web layer stays thin: it parses requests and renders pages; every rule about links,
answers and storage lives here.
"""

from cxgap.services.collection.answers import (
    CONFIRM_PREFIX,
    MAX_TEXT_CHARS,
    CheckedAnswers,
    FieldError,
    answer_names,
    check_answers,
    confirmed_items,
    form_pages,
    item_columns,
    merge_page,
    page_field_names,
    page_items,
)
from cxgap.services.collection.invitations import (
    IssuedLink,
    LinkCompletedError,
    LinkExpiredError,
    LinkState,
    create_invitations,
    open_link,
    save_draft,
    start_respondent,
)
from cxgap.services.collection.submissions import (
    AnswersInvalidError,
    ResponseWriter,
    SubmissionResult,
    response_writer,
    store_unchecked,
    submit_answers,
)
from cxgap.services.collection.tokens import (
    csrf_token,
    csrf_valid,
    new_browser_key,
    signing_secret,
)

__all__ = [
    "CONFIRM_PREFIX",
    "MAX_TEXT_CHARS",
    "AnswersInvalidError",
    "CheckedAnswers",
    "FieldError",
    "IssuedLink",
    "LinkCompletedError",
    "LinkExpiredError",
    "LinkState",
    "ResponseWriter",
    "SubmissionResult",
    "answer_names",
    "check_answers",
    "confirmed_items",
    "create_invitations",
    "csrf_token",
    "csrf_valid",
    "form_pages",
    "item_columns",
    "merge_page",
    "new_browser_key",
    "open_link",
    "page_field_names",
    "page_items",
    "response_writer",
    "save_draft",
    "signing_secret",
    "start_respondent",
    "store_unchecked",
    "submit_answers",
]
