import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from advisories.importers.documents import FORMATS, DocumentError
from advisories.importers.drafts import (
    DraftImportError,
    document_import_draft,
    document_parse,
    document_preview,
)
from advisories.models import Country


class Command(BaseCommand):
    help = (
        "Turn an official document into draft advisory sections for review (nothing is "
        "published). --dry-run prints what would be created as JSON and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. KZ")
        parser.add_argument("--format", default="auto", help="fcdo, osac, plain or auto")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--level", type=int, choices=range(1, 6), help="for a new advisory")

    def handle(self, *args, file: Path, country: str, format: str, dry_run: bool, level, **opts):
        if format not in FORMATS:
            raise CommandError(f"Unknown format {format!r}: choose {', '.join(FORMATS)}.")
        target = Country.objects.filter(code=country.upper()).first()
        if target is None:
            raise CommandError(f"Unknown country code {country!r}.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            parsed = document_parse(country=target, data=data, fmt=format)
        except DocumentError as error:
            raise CommandError(f"{file}: {error}") from None
        if dry_run:
            self.stdout.write(json.dumps(document_preview(parsed), indent=2, ensure_ascii=False))
            return
        try:
            document_import_draft(country=target, parsed=parsed, level=level)
        except DraftImportError as error:
            raise CommandError(str(error)) from None
        # The parser's merge suggestions are taken as they are: a section the advisory has
        # already is merged into, not added twice (the admin lets an editor choose).
        merged = [s for s in parsed.sections if s.merge]
        added = len(parsed.sections) - len(merged)
        self.stdout.write(
            self.style.SUCCESS(
                f"{added} draft section{'' if added == 1 else 's'} added to the {target.name} "
                f"advisory from {parsed.title!r} ({parsed.format}). Review them in the admin, "
                "then publish."
            )
        )
        for section in merged:
            assert section.merge is not None
            self.stdout.write(
                f"  merged {section.heading!r} into {section.merge.heading!r} (existing): "
                f"{section.merge.reason}"
            )
        for suggestion in parsed.suggestions:
            self.stdout.write(
                f"  suggestion ({suggestion.kind}): {suggestion.text} -> {suggestion.value}"
            )
