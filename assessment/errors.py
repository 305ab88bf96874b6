"""The domain's error kinds, turned into HTTP responses at the web edge."""

from __future__ import annotations

from assessment.messages import N_


class AssessmentError(Exception):
    """Something a person asked for cannot be done; the message says why (a `Message` the web edge translates)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(AssessmentError):
    """The person's role in this course does not permit the action."""


class NotFound(AssessmentError):
    """The thing asked for does not exist, or is not visible to this person."""


class InvalidInput(AssessmentError):
    """What was entered cannot be used; `problems` maps each field to what to change."""

    def __init__(self, problems: dict[str, str], message: str | None = None) -> None:
        if message is None:
            only_one = len(problems) == 1
            message = next(iter(problems.values())) if only_one else N_("Some of what was entered needs correcting.")
        super().__init__(message)
        self.problems = dict(problems)


class PhaseClosed(AssessmentError):
    """The step asked for is not open at this moment of the assignment's timeline."""


class SettingsLocked(PhaseClosed):
    """Settings that reviews under way depend on were to change; `problems` maps each such field to why not."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(N_("Reviewing has started, so some settings can no longer change; nothing was saved."))
        self.problems = dict(problems)


class UploadRejected(AssessmentError):
    """An uploaded file cannot be accepted; the message says what to upload instead."""


class NothingToReview(AssessmentError):
    """The review queue has nothing for this reviewer now; the message says why and what to do."""


class Conflict(AssessmentError):
    """Someone else (often the same person in another tab) changed the thing at the same moment; nothing was saved."""


class SettingsChanged(Conflict):
    """The settings were saved elsewhere since the form was filled from them, and the form would change them."""


class StorageUnavailable(AssessmentError):
    """A file could not be written (disk full, read-only, missing directory); nothing of the request was kept."""


class StorageUnreachable(StorageUnavailable):
    """The file store did not answer (or refused the tool's credentials): nothing was written or read; retry later."""
