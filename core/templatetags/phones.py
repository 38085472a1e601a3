"""`{{ number|phone:"KZ" }}`: a number in international form with what to dial locally beside
it (core.lib.phones), and `{% security_desk as desk %}` for the company's security desk."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from core.company import SecurityDesk
from core.company import security_desk as read_security_desk
from core.lib.phones import PhoneDisplay, phone_display

register = template.Library()


def _display(value, region) -> PhoneDisplay:
    if isinstance(value, PhoneDisplay):
        return value
    return phone_display(str(value or ""), region=str(region or ""))


@register.filter
def phone(value, region=""):
    """HTML: "+7 7172 70 21 00 (in the country: 8 (7172) 70 21 00)", a tel: link on the number."""
    shown = _display(value, region)
    if shown.international:
        link = format_html('<a class="phone" href="tel:{}">{}</a>', shown.dial, shown.international)
        if shown.local and shown.local != shown.international:
            return format_html(
                '{} <span class="phone-local">(locally {})</span>', link, shown.local
            )
        return link
    if shown.is_short:
        return format_html(
            '<span class="phone">{}</span> <span class="phone-local">(local short number)</span>',
            shown.local,
        )
    return format_html('<span class="phone">{}</span>', shown.typed)


@register.filter
def phone_text(value, region=""):
    """Plain text, for e-mails and CSV: "+7 7172 70 21 00 (locally 8 (7172) 70 21 00)"."""
    return str(_display(value, region))


@register.simple_tag
def security_desk() -> SecurityDesk:
    return read_security_desk()
