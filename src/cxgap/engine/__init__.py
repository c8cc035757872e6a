"""Aggregation where the data lives: stored responses turned into what the statistics need."""

from cxgap.engine.frames import SurveyData, load_survey, responses_frame

__all__ = ["SurveyData", "load_survey", "responses_frame"]
