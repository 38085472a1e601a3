"""Country pickers that search names and codes (a plain select without the script), one way of
writing dates, a briefing button that waits for the render, and a favicon."""

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

from briefings.models import Briefing, BriefingStatus
from tests.briefings.content import approved_trip
from tests.factories import employee, logged_in, manager, without_role

SCRIPT = Path(settings.BASE_DIR) / "static" / "portal" / "combobox.js"


def country_selects(html: str) -> list[str]:
    import re

    return re.findall(r"<select[^>]*name=\"[^\"]*(?:country|nationality)\"[^>]*>", html)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/trips/new/", "/profile/"])
def test_every_country_picker_of_the_traveller_pages_is_a_searchable_combobox(path):
    html = logged_in(employee()).get(path).content.decode()
    selects = country_selects(html)
    assert selects, "no country picker on the page"
    assert all("data-combobox" in select for select in selects)
    # Without the script it is still a plain picker of every country.
    assert '<option value="KZ">Kazakhstan</option>' in html
    assert "portal/combobox.js" in html and "portal/combobox.css" in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/approvals/", "/locations/"])
def test_the_managers_country_filters_are_searchable_comboboxes(path):
    html = logged_in(manager()).get(path).content.decode()
    selects = country_selects(html)
    assert selects and all("data-combobox" in select for select in selects)


def test_the_combobox_script_is_static_with_no_inline_style_and_parses():
    source = SCRIPT.read_text()
    assert ".style." not in source and 'setAttribute("style"' not in source
    assert 'role", "combobox"' in source and "aria-activedescendant" in source
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the script's syntax is not checked")
    result = subprocess.run([node, "--check", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def render(text: str, **context) -> str:
    return Template("{% load days %}" + text).render(Context(context))


def test_dates_read_one_way_and_a_missing_due_date_says_no_deadline():
    day = dt.date(2026, 12, 14)
    assert render("{{ d|day }}", d=day) == "Mon 14 Dec 2026"
    assert render("{{ d|due }}", d=day) == "Mon 14 Dec 2026"
    assert render("{{ d|due }}", d=None) == "No deadline"
    assert render("{{ d|day }}", d="2026-12-14") == "Mon 14 Dec 2026"
    moment = timezone.make_aware(dt.datetime(2026, 12, 14, 9, 5))
    assert render("{{ d|moment }}", d=moment) == "Mon 14 Dec 2026, 09:05 UTC"
    end, later = dt.date(2026, 12, 20), dt.date(2027, 1, 3)
    assert render("{{ a|span:b }}", a=day, b=end) == "Mon 14 Dec – Sun 20 Dec 2026"
    assert render("{{ a|span:b }}", a=day, b=later) == "Mon 14 Dec 2026 – Sun 3 Jan 2027"


@pytest.mark.django_db
def test_the_trip_page_and_the_dashboard_write_dates_the_same_way():
    trip = approved_trip()
    page = logged_in(trip.traveller).get(f"/trips/{trip.pk}/").content.decode()
    # A range writes its year once, at its end.
    assert "<span>Mon 1 Mar – " in page and " Mar 2027</span>" in page
    assert "2027-03-01</" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("status", [BriefingStatus.QUEUED, BriefingStatus.RENDERING])
def test_no_new_briefing_is_offered_while_one_is_being_prepared(status):
    trip = approved_trip()
    Briefing.objects.create(trip=trip, version=1, reason="approved", status=status)
    page = logged_in(manager()).get(f"/trips/{trip.pk}/").content.decode()
    assert "Request a new briefing" not in page


@pytest.mark.django_db
def test_a_new_briefing_is_offered_once_the_last_one_is_ready():
    trip = approved_trip()
    Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        status=BriefingStatus.READY,
        sha256="a" * 64,
        file_name="b.pdf",
        rendered_at=timezone.now(),
    )
    page = logged_in(manager()).get(f"/trips/{trip.pk}/").content.decode()
    assert "Request a new briefing" in page


def test_the_favicon_answers_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].startswith("/static/portal/favicon")
    assert (Path(settings.BASE_DIR) / "static" / "portal" / "favicon.ico").stat().st_size > 0


@pytest.mark.django_db
def test_the_favicon_answers_a_signed_in_user_without_a_role_too():
    assert logged_in(without_role()).get("/favicon.ico").status_code == 302


def test_one_python_helper_writes_days_spans_and_times_as_the_templates_do():
    from zoneinfo import ZoneInfo

    from core.lib.dates import day_text, moment_text, span_text

    assert day_text(dt.date(2026, 12, 8)) == "Tue 8 Dec 2026"
    new_year = span_text(dt.date(2026, 12, 30), dt.date(2027, 1, 2))
    assert new_year == "Wed 30 Dec 2026 – Sat 2 Jan 2027"
    noon = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
    assert moment_text(noon, ZoneInfo("Europe/London")) == "Tue 8 Dec 2026, 12:00 GMT"
    assert moment_text(noon, ZoneInfo("America/New_York")) == "Tue 8 Dec 2026, 07:00 EST"
    assert render("{{ d|moment:'s' }}", d=noon) == "Tue 8 Dec 2026, 12:00:00 UTC"


def test_counts_are_pluralised_one_way():
    assert render('{% plural n "traveller" %}', n=1) == "1 traveller"
    assert render('{% plural n "traveller" %}', n=0) == "0 travellers"
    assert render('{% plural n "person|people" %}', n=2) == "2 people"


def test_the_locale_formats_write_dates_as_the_portal_does(settings):
    from django.utils import formats

    settings.TIME_ZONE = "Europe/Berlin"
    assert formats.date_format(dt.date(2026, 12, 8)) == "Tue 8 Dec 2026"
    with timezone.override("Europe/Berlin"):
        when = timezone.localtime(dt.datetime(2026, 12, 8, 13, 5, tzinfo=dt.UTC))
        assert formats.date_format(when, "DATETIME_FORMAT") == "Tue 8 Dec 2026, 14:05 CET"


@pytest.mark.django_db
def test_pages_write_times_in_the_viewers_zone(catalogue, settings, monkeypatch):
    from core.models import TravellerProfile
    from tests.trips.helpers import file_trip

    user = employee()
    trip = file_trip(user)
    settings.TIME_ZONE = "Europe/Berlin"
    history = (
        logged_in(user).get(f"/trips/{trip.pk}/").content.decode().split('id="history-title"')[1]
    )
    assert " CET</span><br>Filed by" in history or " CEST</span><br>Filed by" in history
    # A profile that holds a zone of its own wins over the portal's; a bad name does not.
    monkeypatch.setattr(TravellerProfile, "time_zone", "Asia/Tokyo", raising=False)
    history = (
        logged_in(user).get(f"/trips/{trip.pk}/").content.decode().split('id="history-title"')[1]
    )
    assert " JST</span><br>Filed by" in history
    monkeypatch.setattr(TravellerProfile, "time_zone", "Not/AZone", raising=False)
    history = (
        logged_in(user).get(f"/trips/{trip.pk}/").content.decode().split('id="history-title"')[1]
    )
    assert " CET</span><br>Filed by" in history or " CEST</span><br>Filed by" in history


@pytest.mark.django_db
def test_a_destination_guide_writes_when_its_sources_were_retrieved_as_a_day(catalogue):
    page = logged_in(employee()).get("/destinations/MN/").content.decode()
    assert "retrieved Sun 1 Nov 2026" in page and "retrieved 2026-11-01" not in page
