"""manage.py export_content > PACK.json: the published content as a content pack."""

import json

from django.core.management.base import BaseCommand

from advisories.packs import pack_export


class Command(BaseCommand):
    help = "Write the published content as a content pack (JSON) to standard output."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(pack_export(), sort_keys=True, indent=2, ensure_ascii=False))
