from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from advisories.importers.documents import DocumentError
from advisories.importers.drafts import DraftImportError
from advisories.models import Country, WatchedSource
from advisories.watch.reading import SourceFormatError
from advisories.watch.services import source_file_read, source_poll

_SAID = {
    "not_modified": "not modified (304)",
    "unchanged": "unchanged",
    "baseline": "first reading kept as the baseline",
    "changed": "changed: imported into the draft, content admins told",
}


class Command(BaseCommand):
    help = (
        "Poll the watched official sources now, as the scheduler does daily (--country: one "
        "country's), or read one saved response of a source (--kind and --file). A change "
        "becomes a draft; nothing is published."
    )

    def add_arguments(self, parser):
        parser.add_argument("--country", help="ISO 3166-1 alpha-2 code, e.g. KZ")
        parser.add_argument("--kind", choices=WatchedSource.Kind.values)
        parser.add_argument("--file", type=Path, help="a saved response of the source (--kind)")

    def handle(self, *args, country: str | None, kind: str | None, file: Path | None, **opts):
        if country and not Country.objects.filter(code=country.upper()).exists():
            raise CommandError(f"Unknown country code {country!r}.")
        if file is not None:
            self._read_file(country=country, kind=kind, file=file)
            return
        sources = WatchedSource.objects.filter(enabled=True).select_related("country")
        if country:
            sources = sources.filter(country_id=country.upper())
        if kind:
            sources = sources.filter(kind=kind)
        failed = 0
        for source in sources:
            outcome = source_poll(source=source)
            if outcome.status == "failed":
                failed += 1
                self.stderr.write(f"{source}: failed: {outcome.error}")
            else:
                self.stdout.write(f"{source}: {_SAID[outcome.status]}")
        if not sources:
            self.stdout.write("No enabled watched source to poll.")
        if failed:
            raise CommandError(f"{failed} source{'' if failed == 1 else 's'} failed.")

    def _read_file(self, *, country: str | None, kind: str | None, file: Path) -> None:
        if kind is None:
            raise CommandError("--file needs --kind (which source the response is from).")
        sources = WatchedSource.objects.filter(kind=kind).select_related("country")
        if country:
            sources = sources.filter(country_id=country.upper())
        found = list(sources[:2])
        if not found:
            raise CommandError(
                f"No watched {kind} source{f' for {country.upper()}' if country else ''}: "
                "add it in the admin first."
            )
        if len(found) > 1:
            raise CommandError(f"Several {kind} sources are watched: say which with --country.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            status = source_file_read(source=found[0], data=data)
        except (SourceFormatError, DocumentError, DraftImportError) as error:
            raise CommandError(f"{file}: {error}") from None
        self.stdout.write(self.style.SUCCESS(f"{found[0]}: {_SAID[status]}"))
