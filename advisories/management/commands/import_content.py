"""manage.py import_content PACK.json [--draft] [--force]: see contracts.md, "Content pack"
and "Commands"."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from advisories.packs import PackError, PackRefused, pack_import


class Command(BaseCommand):
    help = (
        "Import a content pack (travel-risk-content/1): create or update by key and publish "
        "a new version of every advisory it changes. Nothing is written if the pack has errors, "
        "or if it would discard unpublished draft changes or overwrite a version published "
        "after the pack's exported_at (a pack without one, written by hand, is checked for "
        "drafts only): --force imports it anyway, and the audit trail records what was lost."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="path to the pack's JSON file")
        parser.add_argument(
            "--draft",
            action="store_true",
            help="update the drafts only; publish nothing",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="import even if it discards unpublished drafts or overwrites a newer version",
        )

    def handle(self, *args, **options):
        path = Path(options["pack"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from exc
        except RecursionError:
            raise CommandError(f"{path} is nested too deeply to be a content pack.") from None
        try:
            report = pack_import(data, draft=options["draft"], force=options["force"])
        except PackRefused as exc:
            raise CommandError(
                f"{path} was refused, nothing was written: importing it would lose work.\n"
                + "\n".join(exc.errors)
                + "\nRun again with --force to import it anyway."
            ) from exc
        except PackError as exc:
            raise CommandError(
                f"{path} was refused, nothing was written "
                f"({ngettext('%d error', '%d errors', len(exc.errors)) % len(exc.errors)}):\n"
                + "\n".join(exc.errors)
            ) from exc
        self.stdout.write(report.summary())
