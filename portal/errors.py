"""Domain errors: services raise these; the API maps them to a status, the pages to a message."""


class DomainError(Exception):
    status_code = 400


class TransitionNotAllowed(DomainError):
    """The object is not in a state where this action makes sense (e.g. approving a draft)."""

    status_code = 409


class Conflict(DomainError):
    status_code = 409


class NotAllowed(DomainError):
    """The user may see the object but not do this to it (e.g. approving their own trip)."""

    status_code = 403
