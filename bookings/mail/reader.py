"""A raw booking e-mail -> what it says: its sender, subject and the bookings in it.

Hostile until parsed: the size is checked before any parsing, the standard library's parser
(policy ``default``) reads the headers and parts, HTML is parsed for markup and never rendered,
and nothing the message names (images, links) is fetched.
"""

from __future__ import annotations

import email
import logging
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses

from bookings.mail.extractors import ExtractorFailed, extract_reservations, extractor_in_use
from bookings.mail.mapping import payloads_from_reservations
from core.errors import InvalidInput

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 10 * 1024 * 1024
# The raw message as the unassigned booking keeps it: text, whatever bytes it holds.
RAW_CHARSET = "utf-8"


class EmailTooLarge(InvalidInput):
    status_code = 413

    def __init__(self, size: int) -> None:
        limit = MAX_MESSAGE_BYTES // (1024 * 1024)
        super().__init__(
            {"email": [f"The e-mail is {size:,} bytes; at most {limit} MB is read."]},
            "The e-mail is too large.",
        )


class EmailUnreadable(InvalidInput):
    def __init__(self, reason: str) -> None:
        super().__init__({"email": [reason]}, reason)


@dataclass(frozen=True)
class BookingEmail:
    sender_email: str
    subject: str
    message_id: str
    raw: str
    extractor: str
    payloads: list[dict] = field(default_factory=list)
    # Why nothing was understood, when nothing was (kept with the unassigned e-mail).
    problem: str = ""


def raw_text(raw: bytes) -> str:
    return raw.decode(RAW_CHARSET, errors="replace")


def parse_message(raw: bytes) -> EmailMessage:
    if len(raw) > MAX_MESSAGE_BYTES:
        raise EmailTooLarge(len(raw))
    if not raw.strip():
        raise EmailUnreadable("The e-mail is empty.")
    message = email.message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage) or not (message.keys() or message.get_payload()):
        raise EmailUnreadable("This is not an e-mail message.")
    return message


def sender_of(message: EmailMessage) -> str:
    """The From address (lower-cased), or "" when it has none that parses."""
    try:
        header = str(message.get("From", ""))
    except (ValueError, TypeError, IndexError):
        return ""
    for _name, address in getaddresses([header]):
        if "@" in address:
            return address.strip().lower()
    return ""


def _header(message: EmailMessage, name: str) -> str:
    try:
        return " ".join(str(message.get(name, "")).split())
    except (ValueError, TypeError, IndexError):
        return ""


def booking_email_read(raw: bytes) -> BookingEmail:
    """Read one e-mail: never raises for what is inside it (an extractor that fails leaves
    the e-mail with no booking and says why), only for one too large or not an e-mail."""
    message = parse_message(raw)
    sender = sender_of(message)
    message_id = _header(message, "Message-ID")
    extractor = extractor_in_use()
    problem = ""
    try:
        reservations = extract_reservations(raw=raw, message=message)
    except ExtractorFailed as exc:
        logger.warning("A booking e-mail could not be read: %s", exc)
        reservations, problem = [], f"The e-mail could not be read ({exc})."
    payloads = payloads_from_reservations(reservations, sender_email=sender, message_id=message_id)
    if not payloads and not problem:
        problem = "No reservation was found in the e-mail."
    return BookingEmail(
        sender_email=sender,
        subject=_header(message, "Subject")[:200],
        message_id=message_id[:200],
        raw=raw_text(raw),
        extractor=extractor,
        payloads=payloads,
        problem=problem,
    )
