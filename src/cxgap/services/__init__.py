"""Use cases: the one way into the data for the web pages and API, the command line and
the reports.

One module per domain concept: ``accounts`` (users, roles, sign-in sessions, API keys,
audit log), ``surveys``, ``instrument_catalog`` (instruments), ``customers``,
``feedback``, ``imports``, ``response_browser`` (stored responses and exports),
``analysis``, ``satisfaction_index``, ``privacy``, ``collection`` (survey links and
submissions), ``demo`` and ``database`` (opening the database).

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
- Helpers with a leading underscore are private to their module.

``tests/test_layers.py`` checks which layer may import which.
"""
