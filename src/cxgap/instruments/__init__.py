"""Questionnaires as data: the instrument model, library, loader and validator."""

from cxgap.instruments.loader import (
    builtin_instruments,
    get_instrument,
    load_instrument,
    parse_instrument,
)
from cxgap.instruments.model import (
    FORMAT_FIELDS,
    LANGUAGES,
    AnswerColumn,
    Dimension,
    Instrument,
    Item,
    Scale,
)
from cxgap.instruments.validate import instrument_problems

__all__ = [
    "FORMAT_FIELDS",
    "LANGUAGES",
    "AnswerColumn",
    "Dimension",
    "Instrument",
    "Item",
    "Scale",
    "builtin_instruments",
    "get_instrument",
    "instrument_problems",
    "load_instrument",
    "parse_instrument",
]
