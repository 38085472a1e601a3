"""manage.py loaddemo (contracts.md, Commands)."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from core import roles

pytestmark = pytest.mark.django_db


def loaddemo(*args: str) -> str:
    out = StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


def test_loaddemo_reports_the_content_it_imported_in_words():
    output = loaddemo("--force")
    # The report's own summary(), whose wording belongs to advisories.packs.
    assert "ImportReport(" not in output and "Counter(" not in output
    assert output.startswith("Content:\n")
    assert "Created: " in output and "KZ v1" in output
    assert "Demo loaded." in output


def test_every_demo_user_has_the_role_its_name_says():
    loaddemo("--force")
    expected = {
        "employee": {roles.EMPLOYEE},
        "arranger": {roles.ARRANGER},
        "manager": {roles.MANAGER},
        "manager2": {roles.MANAGER},
        "editor": {roles.CONTENT_ADMIN},
        "admin": set(),
    }
    for username, groups in expected.items():
        user = User.objects.get(username=username)
        assert set(roles.user_roles(user)) == groups, username
        assert roles.has_portal_role(user), username
    assert User.objects.get(username="admin").is_superuser


def test_loaddemo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        loaddemo()
    assert not User.objects.filter(username="employee").exists()
