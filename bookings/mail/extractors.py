"""The two ways of finding schema.org reservations in an e-mail.

KDE Itinerary's extractor is the field's own (Nextcloud Mail reads bookings with it): it reads
markup, the vendor formats that carry none, and PDF and Wallet passes. It runs as a
subprocess with the message on stdin, a timeout and no network of its own to reach for (it
fetches nothing). Where the binary is absent, ``extruct`` reads the JSON-LD and microdata of
the HTML parts: schema.org markup alone. ``settings.BOOKINGS_EXTRACTOR`` forces one
("kitinerary" or "markup"); by default the binary is used when found.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from email.message import EmailMessage

import extruct
from django.conf import settings

from core.health_details import health_detail_register

logger = logging.getLogger(__name__)

KITINERARY = "kitinerary"
MARKUP = "markup"
# Debian installs it outside PATH (libkpimitinerary-bin).
KITINERARY_PATHS = (
    "/usr/lib/x86_64-linux-gnu/libexec/kf5/kitinerary-extractor",
    "/usr/lib/aarch64-linux-gnu/libexec/kf5/kitinerary-extractor",
    "/usr/libexec/kf5/kitinerary-extractor",
)
KITINERARY_TIMEOUT_SECONDS = 30
# A single HTML part larger than this is not parsed for markup (a reservation's markup is
# a few kilobytes; megabytes of HTML are a newsletter or an attack on the parser).
MAX_HTML_PART_BYTES = 2 * 1024 * 1024
RESERVATION_TYPES = {
    "FlightReservation",
    "LodgingReservation",
    "TrainReservation",
    "BusReservation",
}


class ExtractorFailed(Exception):
    """The extractor crashed, timed out or answered something that is not JSON."""


def kitinerary_path() -> str | None:
    found = shutil.which("kitinerary-extractor")
    if found:
        return found
    return next((path for path in KITINERARY_PATHS if os.access(path, os.X_OK)), None)


def extractor_in_use() -> str:
    """ "kitinerary" or "markup": what reads booking e-mails here (for /healthz/'s details)."""
    wanted = getattr(settings, "BOOKINGS_EXTRACTOR", "")
    if wanted == MARKUP:
        return MARKUP
    if kitinerary_path():
        return KITINERARY
    if wanted == KITINERARY:
        logger.warning("BOOKINGS_EXTRACTOR asks for kitinerary, which is not installed")
    return MARKUP


def extract_reservations(*, raw: bytes, message: EmailMessage) -> list[dict]:
    """The schema.org reservations found in the e-mail, by whichever extractor is in use."""
    if extractor_in_use() == KITINERARY:
        return [item for item in kitinerary_extract(raw) if _is_reservation(item)]
    return [item for item in markup_extract(message) if _is_reservation(item)]


def kitinerary_extract(raw: bytes) -> list[dict]:
    path = kitinerary_path()
    if path is None:
        raise ExtractorFailed("kitinerary-extractor is not installed")
    # QT_QPA_PLATFORM: a headless Qt, never looking for a display.
    env = {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    try:
        done = subprocess.run(
            [path, "--output", "JsonLd"],
            input=raw,
            capture_output=True,
            timeout=KITINERARY_TIMEOUT_SECONDS,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractorFailed("kitinerary-extractor timed out") from exc
    if done.returncode != 0:
        raise ExtractorFailed(f"kitinerary-extractor exited with {done.returncode}")
    try:
        found = json.loads(done.stdout or b"[]")
    except ValueError as exc:
        raise ExtractorFailed("kitinerary-extractor answered something that is not JSON") from exc
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def markup_extract(message: EmailMessage) -> list[dict]:
    """JSON-LD and microdata from every HTML part, forwarded ones included. The HTML is
    parsed, never rendered, and nothing it names is fetched."""
    found: list[dict] = []
    for part in message.walk():
        if part.get_content_type() != "text/html":
            continue
        try:
            html = part.get_content()
        except (LookupError, ValueError):
            continue  # an unknown charset or broken encoding: no markup to read
        if not isinstance(html, str) or len(html.encode("utf-8", "replace")) > MAX_HTML_PART_BYTES:
            continue
        try:
            data = extruct.extract(html, syntaxes=["json-ld", "microdata"], uniform=True)
        except Exception:
            logger.info("An HTML part's markup could not be read", exc_info=True)
            continue
        for item in data.get("json-ld", []) + data.get("microdata", []):
            found.extend(_flatten(item))
    return found


def _flatten(item) -> list[dict]:
    """JSON-LD may nest reservations in a list or an @graph."""
    if isinstance(item, list):
        return [found for element in item for found in _flatten(element)]
    if not isinstance(item, dict):
        return []
    if "@graph" in item:
        return _flatten(item["@graph"])
    return [item]


def _is_reservation(item: dict) -> bool:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(str(each).rsplit("/", 1)[-1] in RESERVATION_TYPES for each in kinds)


def _health_detail() -> dict:
    return {"extractor": extractor_in_use(), "kitinerary": kitinerary_path() or ""}


health_detail_register("bookings_extractor", _health_detail)
