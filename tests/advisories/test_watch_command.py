import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from advisories.models import Section, SourceRating, WatchedSource
from tests.advisories.watch_helpers import (
    FIXTURES,
    fcdo_changed,
    published_kazakhstan,
    watched,
)
from tests.factories import content_admin, logged_in

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("watch_sources", *args, stdout=out)
    return out.getvalue()


def test_a_saved_response_is_read_as_a_poll_would_and_a_changed_one_becomes_a_draft(
    tmp_path, django_capture_on_commit_callbacks
):
    published_kazakhstan(level=2)
    watched("fcdo")
    editor = content_admin(email="editor@example.org")
    first = run(
        "--country", "KZ", "--kind", "fcdo", "--file", str(FIXTURES / "fcdo_kazakhstan.json")
    )
    assert "first reading kept as the baseline" in first
    assert SourceRating.objects.get().rating == "advise against all but essential travel to parts"
    changed = tmp_path / "fcdo.json"
    changed.write_bytes(
        fcdo_changed(
            alert_status=["avoid_all_travel_to_parts"],
            note="Floods in the north.",
            paragraph="Roads north of Astana are closed by floods.",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = run("--kind", "fcdo", "--file", str(changed))
    assert "changed: imported into the draft, content admins told" in second
    assert Section.objects.filter(body__contains="Roads north of Astana").exists()
    assert [m.to for m in mail.outbox] == [["editor@example.org"]]
    # The source's page in the admin shows the change's note and its word diff.
    source = WatchedSource.objects.get()
    page = logged_in(editor).get(f"/admin/advisories/watchedsource/{source.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Floods in the north." in body
    assert "<ins>" in body and "Roads north of Astana" in body
    with django_capture_on_commit_callbacks(execute=True):
        assert "unchanged" in run("--kind", "fcdo", "--file", str(changed))
    assert len(mail.outbox) == 1


def test_a_file_needs_its_kind_and_a_watched_source(tmp_path):
    published_kazakhstan()
    saved = str(FIXTURES / "fcdo_kazakhstan.json")
    with pytest.raises(CommandError, match="--file needs --kind"):
        run("--file", saved)
    with pytest.raises(CommandError, match="No watched fcdo source for KZ"):
        run("--country", "KZ", "--kind", "fcdo", "--file", saved)
    with pytest.raises(CommandError, match="Unknown country code"):
        run("--country", "XX")


def test_a_file_the_parser_refuses_is_a_clear_error_and_changes_nothing():
    published_kazakhstan()
    watched("fcdo")
    with pytest.raises(CommandError, match="not JSON"):
        run("--kind", "fcdo", "--file", str(FIXTURES / "us_state_advisories.xml"))
    assert not SourceRating.objects.exists()


def test_without_sources_the_poll_says_so():
    assert "No enabled watched source to poll." in run()
