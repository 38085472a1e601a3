"""E-mail from templates: `emails/<name>-subject.txt`, `-body.txt` and `-body.html`, with the
portal's base URL in the context. The one sender for every app's notifications."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from portal.company import security_desk


def send_templated(
    template: str,
    context: dict[str, Any],
    recipients: list[str],
    attachment: tuple[str, bytes, str] | None = None,
) -> None:
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return
    context = {**context, "base_url": settings.PORTAL_BASE_URL.rstrip("/")}
    # Every e-mail ends with the security desk's 24/7 line: whatever it is about, the reader
    # may be abroad and in trouble when they open it.
    footer = {"desk": security_desk()}
    # A subject is one line: a line break (from a trip's purpose, say) would make Django
    # refuse the header, and must never be able to smuggle one in.
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    body = str(render_to_string(f"emails/{template}-body.txt", context)).rstrip("\n")
    body += "\n" + render_to_string("emails/_footer.txt", footer)
    html = str(render_to_string(f"emails/{template}-body.html", context))
    html += render_to_string("emails/_footer.html", footer)
    message = EmailMultiAlternatives(subject, body, None, recipients)
    message.attach_alternative(html, "text/html")
    if attachment is not None:
        message.attach(*attachment)
    message.send()
