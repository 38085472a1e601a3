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


class InvalidInput(DomainError):
    """Bad input found by a service: `errors` is shaped like DRF's field errors
    ({"reason": ["..."]}), so the API answers 400 with it and a page shows each message."""

    def __init__(self, errors: dict, message: str = "The input is not valid.") -> None:
        super().__init__(message)
        self.errors = errors

    def messages(self) -> list[str]:
        """Every message, flattened, for a page's error banner."""
        found: list[str] = []

        def walk(value) -> None:
            if isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    walk(item)
            elif str(value) not in found:
                # Two fields refused for one reason (a reversed range) say it once.
                found.append(str(value))

        walk(self.errors)
        return found
