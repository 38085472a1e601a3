"""Booking e-mails from an `.eml` file, a Maildir or an mbox, filed as
`POST /api/bookings/email/` files them, each printed with what it became:

    manage.py import_bookings confirmation.eml
    manage.py import_bookings ~/Maildir/.Bookings
    manage.py import_bookings bookings.mbox

Read here, synchronously (no web request waits). The same e-mail twice changes nothing.
"""

from __future__ import annotations

import mailbox
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bookings.mail.answers import summary
from bookings.mail.reader import BookingEmail, booking_email_read
from bookings.mail.receive import DOOR_COMMAND, booking_email_file
from core.errors import InvalidInput

MBOX_START = b"From "


def messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) for each e-mail at ``path``."""
    if path.is_dir():
        if not all((path / part).is_dir() for part in ("cur", "new")):
            raise CommandError(f"{path} is a folder but not a Maildir (no cur/ and new/).")
        box = mailbox.Maildir(str(path), factory=None, create=False)
        for key in sorted(box.keys()):
            yield key, box.get_bytes(key)
        return
    with path.open("rb") as handle:
        start = handle.read(len(MBOX_START))
    if start == MBOX_START:
        mbox = mailbox.mbox(str(path), factory=None, create=False)
        try:
            for number, key in enumerate(mbox.keys(), start=1):
                yield f"message {number}", mbox.get_bytes(key)
        finally:
            mbox.close()
        return
    yield path.name, path.read_bytes()


def read_ahead(
    found: Iterable[tuple[str, bytes]], *, workers: int
) -> Iterator[tuple[str, BookingEmail | InvalidInput]]:
    """Each e-mail read (or why it could not be), in order, with up to ``workers`` read at
    once: reading is mostly the extractor's subprocess, which the filing need not wait for.
    Filing stays one at a time, in the mailbox's order (a cancellation after its booking)."""

    def read(raw: bytes) -> BookingEmail | InvalidInput:
        try:
            return booking_email_read(raw)
        except InvalidInput as exc:
            return exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[tuple[str, Future]] = deque()
        for label, raw in found:
            pending.append((label, pool.submit(read, raw)))
            if len(pending) > workers * 2:
                label_done, future = pending.popleft()
                yield label_done, future.result()
        while pending:
            label_done, future = pending.popleft()
            yield label_done, future.result()


class Command(BaseCommand):
    help = "Import booking e-mails from an .eml file, a Maildir or an mbox."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="An .eml file, a Maildir folder or an mbox file.")

    def handle(self, *args, path: str, **options) -> None:
        source = Path(path).expanduser()
        if not source.exists():
            raise CommandError(f"{source} does not exist.")
        read = refused = 0
        workers = min(8, os.cpu_count() or 1)
        for label, email in read_ahead(messages(source), workers=workers):
            if isinstance(email, InvalidInput):
                refused += 1
                self.stderr.write(f"{label}: refused: {' '.join(email.messages())}")
                continue
            outcome = booking_email_file(
                read=email, door=DOOR_COMMAND, by=None, via="import_bookings"
            )
            read += 1
            self.stdout.write(f"{label}: {summary(outcome)}")
        self.stdout.write(f"{read} e-mail(s) read, {refused} refused.")
