"""The file e-mail backend behind `EMAIL_URL=file:///folder`: one file per message.

Django's own file backend writes every message sent through one connection into one file named
by the second it opened: a batch of safety-check asks, or two batches within a second, land in
one file, which is not what the contract promises (contracts.md, `EMAIL_URL`) nor what anyone
reading the folder expects. Each message here gets a file of its own, named by the time it was
written and a random part, so files sort in the order they were sent and never collide across
processes. A file holds the message exactly as it would be sent (an `.eml` a mail client
opens), without the separator line Django's backend appends.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Sequence

from django.core.mail.backends import filebased
from django.core.mail.message import EmailMessage


class EmailBackend(filebased.EmailBackend):
    def open(self) -> bool:
        # Nothing to hold open between messages: each is written to a file of its own.
        return False

    def close(self) -> None:
        pass

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        with self._lock:
            for message in email_messages:
                if not message.recipients():
                    continue
                with open(self._message_filename(), "xb") as stream:
                    stream.write(message.message().as_bytes())
                sent += 1
        return sent

    def _message_filename(self) -> str:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        return os.path.join(self.file_path, f"{stamp}-{secrets.token_hex(6)}.eml")
