"""Use cases: the one way into the data for the web pages and API, the command line and
the reports.

One module per domain concept: ``accounts`` (users, roles, sign-in sessions, API keys,
audit log; ``credentials`` holds what a password and an email may be), ``surveys``,
``instrument_catalog`` (built-in and stored instruments), ``customers``, ``feedback``,
``imports``, ``response_browser`` (stored responses, their filters and exported files),
``analysis`` (with ``sections``, the analysis drawn as sections), ``satisfaction_index``,
``privacy`` (access and erasure), ``collection`` (survey links and submissions),
``demo`` and ``database`` (opening the database). What customers are segmented by is in
:mod:`cxgap.segments`.

Transactions: the service owns them.

- A public function whose first parameter is ``engine: Engine`` opens its own
  transaction, commits it before returning, and returns plain values or records detached
  from the transaction. This is what the layers above call.
- A public function whose first parameter is ``session: Session`` is a step that
  composes inside a transaction another service function opened (for example
  :func:`cxgap.services.accounts.audit`, :func:`cxgap.services.customers.upsert_customers`,
  :func:`cxgap.services.surveys.create_survey`); it never commits. Only code at or below
  this layer can open a transaction, so the web, command-line and report layers only ever
  call the ``Engine`` form.
- Helpers with a leading underscore are private to their module. The one other form is
  :func:`cxgap.services.collection.storing.store_batch`, which the collection's batching
  writer calls with the connection it keeps for itself; it is not exported.

``tests/test_layers.py`` checks which layer may import which.
"""
