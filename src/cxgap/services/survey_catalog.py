"""Kept only so that existing imports of ``survey_counts`` keep working; the survey use
cases are in :mod:`cxgap.services.surveys`. New code imports from there."""

from cxgap.services.surveys import SurveyCounts, issue_invitations, new_survey, survey_counts

__all__ = ["SurveyCounts", "issue_invitations", "new_survey", "survey_counts"]
