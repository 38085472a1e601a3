"""E-mail from templates: `emails/<name>-subject.txt`, `-body.txt` and `-body.html`, with the
portal's base URL in the context. The one sender for every app's notifications.

``send_templated`` sends one e-mail. A sender of many builds each with ``templated_message``
(or ``MailMerge``, below) and sends them through one connection, with the footer rendered once
(``mail_footer``): the security desk's line is the same in every one of them.

An e-mail is text with an HTML alternative, unless its sender asks for plain text alone
(``html=False``, the safety check's "Are you OK?": no `-body.html` template then).

``MailMerge`` writes one plain-text e-mail to many readers: rendered once, with each reader's
own values (a name, a personal link) put in afterwards. A check's batch of 250 asks renders
its template once instead of 250 times.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from core.company import security_desk


class TemplatedEmail(EmailMultiAlternatives):
    def message(self, **kwargs: Any) -> Any:
        message = super().message(**kwargs)
        if message.is_multipart():
            # Left unset, the standard library draws the boundary when the e-mail is written
            # and compiles a regular expression to prove it absent from the text: a fifth of
            # the time of writing a short e-mail. 128 random bits cannot occur there by chance.
            message.set_boundary(f"=={uuid.uuid4().hex}")
        return message


@dataclass(frozen=True)
class MailFooter:
    text: str
    html: str


def mail_footer() -> MailFooter:
    """Every e-mail ends with the security desk's 24/7 line: whatever it is about, the reader
    may be abroad and in trouble when they open it."""
    footer = {"desk": security_desk()}
    return MailFooter(
        text=render_to_string("emails/_footer.txt", footer),
        html=render_to_string("emails/_footer.html", footer),
    )


def templated_message(
    template: str,
    context: dict[str, Any],
    recipients: list[str],
    attachment: tuple[str, bytes, str] | None = None,
    *,
    footer: MailFooter | None = None,
    html: bool = True,
) -> EmailMultiAlternatives | None:
    """The e-mail ``send_templated`` would send, unsent (None when no address is left);
    with ``html`` off, a single text/plain part (no HTML template is read)."""
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return None
    context = {**context, "base_url": settings.PORTAL_BASE_URL.rstrip("/")}
    footer = footer or mail_footer()
    # A subject is one line: a line break (from a trip's purpose, say) would make Django
    # refuse the header, and must never be able to smuggle one in.
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    body = str(render_to_string(f"emails/{template}-body.txt", context)).rstrip("\n")
    body += "\n" + footer.text
    message = TemplatedEmail(subject, body, None, recipients)
    if html:
        alternative = str(render_to_string(f"emails/{template}-body.html", context))
        message.attach_alternative(alternative + footer.html, "text/html")
    if attachment is not None:
        message.attach(*attachment)
    return message


def send_templated(
    template: str,
    context: dict[str, Any],
    recipients: list[str],
    attachment: tuple[str, bytes, str] | None = None,
) -> None:
    message = templated_message(template, context, recipients, attachment)
    if message is not None:
        message.send()


class MailMerge:
    """One plain-text templated e-mail for many readers, rendered once.

    ``personal`` names the context values that differ between readers: the templates are
    rendered with a marker in their place (128 random bits, which no text can hold by
    chance), and ``message`` puts each reader's values where the markers are. Those values
    are shown as given, as in any text template (rendered with autoescape off), so each
    reader's e-mail is the one ``templated_message`` would write for them.
    """

    def __init__(
        self,
        template: str,
        context: Mapping[str, Any],
        personal: Sequence[str],
        *,
        footer: MailFooter | None = None,
    ) -> None:
        self.template = template
        token = uuid.uuid4().hex
        self._markers = {f"\x00{token}:{name}\x00": name for name in personal}
        merged = {**context, **{name: marker for marker, name in self._markers.items()}}
        # (?!) matches nothing: an e-mail with no personal values is the same for everyone.
        either = "|".join(map(re.escape, self._markers)) or "(?!)"
        self._split = re.compile(f"({either})")
        footer = footer or mail_footer()
        context = {**merged, "base_url": settings.PORTAL_BASE_URL.rstrip("/")}
        self._subject = self._split.split(
            str(render_to_string(f"emails/{template}-subject.txt", context))
        )
        body = str(render_to_string(f"emails/{template}-body.txt", context)).rstrip("\n")
        self._body = self._split.split(body + "\n" + footer.text)

    def _fill(self, pieces: list[str], values: Mapping[str, str]) -> str:
        # re.split puts each marker at an odd index, the text between them at the even ones.
        return "".join(
            str(values[self._markers[piece]]) if index % 2 else piece
            for index, piece in enumerate(pieces)
        )

    def message(
        self, values: Mapping[str, str], recipients: list[str]
    ) -> EmailMultiAlternatives | None:
        """The e-mail to ``recipients`` with their ``values`` (None when no address is left)."""
        recipients = sorted({address for address in recipients if address})
        if not recipients:
            return None
        # A subject is one line, whatever a value holds (as in ``templated_message``).
        subject = " ".join(self._fill(self._subject, values).split())
        return TemplatedEmail(subject, self._fill(self._body, values), None, recipients)
