"""manage.py import_incidents FILE.json: see contracts.md, "Commands"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import ngettext

from core.errors import InvalidInput
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


class Command(BaseCommand):
    help = (
        "Import incidents from a JSON file: a list of incident objects as POST /api/incidents/ "
        "takes them, each with an external_id. An incident already imported (same source and "
        "external_id) is updated, never duplicated. Nothing is written if any entry is invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the JSON file")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
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
