"""manage.py import_incidents FILE_OR_URL [--format json|usgs|gdacs|cap]: see contracts.md,
"Commands". A URL is read through the hazard feeds' fetcher (timeout, size limit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import ngettext

from core.errors import InvalidInput
from incidents.feeds import FeedError
from incidents.feeds.fetch import FetchError, fetch
from incidents.feeds.services import PARSERS, items_import, read_items
from incidents.models import Severity
from incidents.serializers import IncidentInputSerializer
from incidents.services import IncidentInput, incident_declare, incident_validate


def _flatten(prefix: str, errors: Any) -> list[str]:
    """DRF- or service-shaped field errors as 'path: message' lines."""
    if isinstance(errors, dict):
        return [
            line for name, value in errors.items() for line in _flatten(f"{prefix}.{name}", value)
        ]
    if isinstance(errors, list | tuple):
        if all(not isinstance(item, dict | list) for item in errors):
            return [f"{prefix}: {item}" for item in errors]
        return [
            line
            for index, value in enumerate(errors)
            for line in _flatten(f"{prefix}[{index}]", value)
        ]
    return [f"{prefix}: {errors}"]


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _read(source: str) -> bytes:
    if _is_url(source):
        try:
            return fetch(source).body
        except FetchError as exc:
            raise CommandError(f"Cannot read {source}: {exc}") from exc
    path = Path(source)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc


class Command(BaseCommand):
    help = (
        "Import incidents from a file or a URL. --format json (the default): a list of "
        "incident objects as POST /api/incidents/ takes them, each with an external_id; "
        "nothing is written if any entry is invalid. --format usgs, gdacs or cap: a USGS "
        "earthquake GeoJSON feed, the GDACS RSS feed, or a CAP 1.2 message or Atom/RSS feed "
        "of them; each item is imported on its own and an invalid one is skipped with its "
        "reason. Either way an incident already imported (same source and external id) is "
        "updated, never duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="FILE_OR_URL", help="a file path or an http(s) URL")
        parser.add_argument(
            "--format", choices=["json", *PARSERS], default="json", help="the document's format"
        )
        parser.add_argument(
            "--min-severity",
            choices=Severity.values,
            default=Severity.INFO,
            help="feed items below this severity are skipped (feeds only; default: none)",
        )

    def handle(self, *args, **options):
        source = options["source"]
        body = _read(source)
        if options["format"] != "json":
            self._import_feed(source, body, options["format"], options["min_severity"])
            return
        self._import_json(source, body)

    def _import_feed(self, source: str, body: bytes, kind: str, min_severity: str) -> None:
        try:
            items = read_items(kind, body)
        except FeedError as exc:
            raise CommandError(f"{source}: {exc}") from exc
        result = items_import(
            items=items, via=f"import_incidents ({kind})", min_severity=min_severity
        )
        for label, ids in (
            ("created", result.created),
            ("updated", result.updated),
            ("closed", result.closed),
            ("skipped", result.skipped),
        ):
            for line in ids:
                self.stdout.write(f"{label}: {line}")
        self.stdout.write(result.summary() + ".")

    def _import_json(self, source: str, body: bytes) -> None:
        path = source
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from exc
        except RecursionError:
            raise CommandError(f"{path} is nested too deeply to be a list of incidents.") from None
        if not isinstance(data, list):
            raise CommandError(
                f"{path}: expected a list of incident objects, got {type(data).__name__}."
            )
        entries: list[IncidentInput] = []
        errors: list[str] = []
        for index, item in enumerate(data):
            where = f"[{index}]"
            if not isinstance(item, dict):
                errors.append(f"{where}: expected an object, got {type(item).__name__}")
                continue
            serializer = IncidentInputSerializer(data=item)
            if not serializer.is_valid():
                errors.extend(_flatten(where, serializer.errors))
                continue
            entry = serializer.to_input()
            if not entry.external_id.strip():
                # Without it a second import of the same file would declare everything twice.
                errors.append(f"{where}.external_id: required in a file, so a re-import updates")
                continue
            try:
                incident_validate(entry)
            except InvalidInput as exc:
                errors.extend(_flatten(where, exc.errors))
                continue
            entries.append(entry)
        if errors:
            raise CommandError(
                f"{path} was refused, nothing was written "
                f"({ngettext('%d error', '%d errors', len(errors)) % len(errors)}):\n"
                + "\n".join(errors)
            )
        created = updated = 0
        with transaction.atomic():
            for entry in entries:
                _, is_new = incident_declare(data=entry, by=None)
                created += is_new
                updated += not is_new
        made = ngettext("%d incident created", "%d incidents created", created) % created
        self.stdout.write(f"{made}, {updated} updated.")
