"""The domain's error kinds, turned into HTTP responses at the web edge."""

from __future__ import annotations


class AssessmentError(Exception):
    """Something a person asked for cannot be done; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(AssessmentError):
    """The person's role in this course does not permit the action."""


class NotFound(AssessmentError):
    """The thing asked for does not exist, or is not visible to this person."""
