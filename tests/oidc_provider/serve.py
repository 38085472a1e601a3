"""Run the test identity provider: migrate its database, register the portal as a client and
create the people in people.json (username: password), then serve on 127.0.0.1:PORT.

    OIDC_PROVIDER_DIR=... OIDC_PROVIDER_PORT=... python -m tests.oidc_provider.serve
"""

import json
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import WSGIServer, run  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    client = json.loads((settings.STATE / "client.json").read_text())
    Application.objects.update_or_create(
        client_id=client["client_id"],
        defaults={
            "client_secret": client["client_secret"],
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": client["redirect_uri"],
            "algorithm": Application.RS256_ALGORITHM,
            "skip_authorization": True,
            "name": "Travel-risk portal",
        },
    )
    for username, password in json.loads((settings.STATE / "people.json").read_text()).items():
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
    print("identity provider ready", flush=True)
    run("127.0.0.1", settings.PORT, get_wsgi_application(), threading=True, server_cls=WSGIServer)


if __name__ == "__main__":
    main()
