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
from cxgap.services.collection.storing import StoreJob, SubmissionResult
from cxgap.services.collection.submissions import (
    AnswersInvalidError,
    ResponseWriter,
    SubmittedForm,
    response_writer,
    store_unchecked,
    store_unchecked_async,
    submit_answers,
    submit_answers_async,
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
    "StoreJob",
    "SubmissionResult",
    "SubmittedForm",
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
    "store_unchecked_async",
    "submit_answers",
    "submit_answers_async",
]
