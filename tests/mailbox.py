"""Reading what a worker sent through the file e-mail backend (EMAIL_URL=file:///folder):
one file per message (core.mail_files); a file of Django's own backend, messages separated
by a line of 79 dashes, reads too."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str

    def link(self, pattern: str = r"https?://\S+/checks/answer/[^\s/]+/") -> str:
        found = re.search(pattern, self.body)
        assert found, f"no link in {self.subject!r}:\n{self.body}"
        return found.group(0)


def read_mailbox(folder: Path) -> list[Mail]:
    mails = []
    for path in sorted(folder.glob("*")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            mails.append(
                Mail(
                    to=[address.strip() for address in str(message["To"]).split(",")],
                    subject=str(message["Subject"]),
                    body=body.get_content() if body is not None else "",
                )
            )
    return mails
