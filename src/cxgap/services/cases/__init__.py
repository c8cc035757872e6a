"""Close-the-loop cases: rules that open them from signals, SLA clocks on business
calendars, work on them, escalation and notifications (``docs/cases.md``).

- :mod:`~cxgap.services.cases.config`: the rules and calendar files;
- :mod:`~cxgap.services.cases.conditions`: rule conditions, one class per signal;
- :mod:`~cxgap.services.cases.work`: opening, changing, listing and showing cases;
- :mod:`~cxgap.services.cases.sweep`: applying the rules and escalating.
"""
