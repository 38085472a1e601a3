"""The answer page of a safety check (issue 22) shows the local emergency numbers of where
the traveller is (for their place and nationality, as their briefing does) beside the
security desk, and its times on the clock of that place (core.lib.timezones)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from advisories.services import advisory_publish
from core.lib.timezones import place_time_zone
from core.models import CompanySettings
from incidents.checks.services import answer_token, check_answer, check_close, check_start
from incidents.models import CheckRecipient, SafetyCheck
from tests.factories import (
    AdvisoryFactory,
    EmergencyContactFactory,
    IncidentFactory,
    country,
    employee,
    manager,
    trip_with_stops,
)

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2027, 3, 10, 6, 0, tzinfo=dt.UTC)  # 11:00 in Almaty (UTC+5)


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def kz_help(kz):
    """Kazakhstan's published emergency numbers: two for everyone, one for Almaty only, one
    for Astana only, and the British and American embassies for their own nationals."""
    AdvisoryFactory(country=country("KZ"))
    EmergencyContactFactory(label="Police", number="102")
    EmergencyContactFactory(label="Ambulance", number="103")
    EmergencyContactFactory(
        label="Almaty tourist police", number="+7 727 254 4104", place=kz["almaty"]
    )
    EmergencyContactFactory(
        label="Astana city hotline", number="+7 7172 55 00 00", place=kz["astana"]
    )
    EmergencyContactFactory(
        label="British Embassy", number="+7 7172 55 62 00", nationalities=["GB"]
    )
    EmergencyContactFactory(label="US Embassy", number="+7 7172 70 21 00", nationalities=["US"])
    advisory_publish(country=country("KZ"), by=None, change_note="Numbers", material=False)
    CompanySettings.objects.update_or_create(
        pk=1,
        defaults={
            "security_desk_phone": "+44 20 7946 0000",
            "security_desk_email": "desk@example.com",
        },
    )
    return kz


def asked(*, place=None, place_text="", nationality="GB") -> tuple[SafetyCheck, CheckRecipient]:
    incident = IncidentFactory(title="Earthquake", starts_on=days(-1))
    traveller = employee(first_name="Tara")
    traveller.profile.nationality = nationality
    traveller.profile.save()
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": place,
            "place_text": place_text,
            "arrival": days(-1),
            "departure": days(3),
        },
        traveller=traveller,
    )
    check = check_start(incident=incident, by=manager())
    SafetyCheck.objects.filter(pk=check.pk).update(started_at=STARTED)
    return check, CheckRecipient.objects.get(safety_check=check)


def page(recipient) -> str:
    response = Client().get(reverse("check-answer-link", args=[answer_token(recipient)]))
    assert response.status_code == 200
    return response.content.decode()


def numbers(html: str) -> list[str]:
    block = html.split('class="plain emergency-numbers"', 1)[1].split("</ul>", 1)[0]
    return [
        re.sub(r"<[^>]+>|\s+", " ", item).split(":")[0].strip() for item in block.split("<li>")[1:]
    ]


def test_the_page_lists_the_local_numbers_for_the_travellers_place_and_nationality(kz_help):
    _, recipient = asked(place=kz_help["almaty"], nationality="GB")

    html = page(recipient)

    assert numbers(html) == [
        "British Embassy",
        "Almaty tourist police (Almaty)",
        "Police",
        "Ambulance",
    ]
    assert "(local short number)" in html  # 102 is dialled as is, inside the country
    assert 'href="tel:+77272544104"' in html
    assert "Call the local emergency number first (Almaty, Kazakhstan)" in html


def test_an_american_in_astana_gets_their_embassy_and_astanas_line(kz_help):
    _, recipient = asked(place=kz_help["astana"], nationality="US")

    assert numbers(page(recipient)) == [
        "US Embassy",
        "Astana city hotline (Astana)",
        "Police",
        "Ambulance",
    ]


def test_the_security_desk_is_there_too(kz_help):
    _, recipient = asked(place=kz_help["almaty"])

    html = page(recipient)

    assert "Then the security desk (24/7)" in html
    assert 'href="tel:+442079460000"' in html
    assert 'href="mailto:desk@example.com"' in html


def test_without_published_numbers_the_page_says_to_call_the_desk(kz):
    _, recipient = asked(place=kz["almaty"])

    assert "We have no emergency numbers for Kazakhstan: call the security desk." in page(recipient)


def test_times_are_on_the_clock_of_the_travellers_place(kz_help):
    _, recipient = asked(place=kz_help["almaty"])
    check_answer(recipient=recipient, status="safe", channel="link")
    CheckRecipient.objects.filter(pk=recipient.pk).update(
        answered_at=STARTED + dt.timedelta(minutes=90)
    )

    html = page(recipient)

    assert "Asked since" in html and "Wed 10 Mar 2027, 11:00" in html
    assert "on <time" in html and "Wed 10 Mar 2027, 12:30" in html
    assert "Times are in Almaty time, UTC+5." in html


def test_a_place_the_time_zone_table_does_not_name_gets_the_countrys_main_zone_labelled(
    kz_help,
):
    _, recipient = asked(place=kz_help["astana"])

    html = page(recipient)

    assert "Wed 10 Mar 2027, 11:00" in html
    assert (
        "Times are in Almaty time, UTC+5, the main time zone of Kazakhstan: we could not tell "
        "which of its 7 zones Astana keeps." in html
    )


def test_a_place_typed_as_free_text_is_found_in_the_table_too(kz_help):
    _, recipient = asked(place_text="Kyzylorda oblast")

    html = page(recipient)

    assert "Times are in Qyzylorda time, UTC+5." in html
    assert numbers(html) == ["British Embassy", "Police", "Ambulance"]


def test_a_closed_check_still_shows_the_numbers_and_when_it_closed(kz_help):
    check, recipient = asked(place=kz_help["almaty"])
    check_close(check=check, by=manager())
    SafetyCheck.objects.filter(pk=check.pk).update(closed_at=STARTED + dt.timedelta(hours=3))

    html = page(recipient)

    assert "This check is closed" in html
    assert "It closed on" in html and "Wed 10 Mar 2027, 14:00" in html
    assert "Police" in numbers(html)


# --- the time zone table --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "names", "zone", "found"),
    [
        ("KZ", ["Almaty"], "Asia/Almaty", "place"),
        ("KZ", ["Kzyl-Orda"], "Asia/Qyzylorda", "place"),  # a spelling the table's comment gives
        ("KZ", ["Astana"], "Asia/Almaty", "country"),  # "most of Kazakhstan"
        ("ID", ["Ubud, Bali"], "Asia/Makassar", "place"),
        ("US", ["Chicago"], "America/Chicago", "place"),
        ("US", ["Springfield"], "America/New_York", "country"),  # "Eastern (most areas)"
        ("GB", ["Leeds"], "Europe/London", "place"),  # one clock for the whole country
        ("ZZ", ["Nowhere"], "UTC", "utc"),
    ],
)
def test_the_zone_of_a_place(code, names, zone, found):
    result = place_time_zone(code, names)

    assert (result.name, result.found) == (zone, found)


def test_a_zones_label_gives_its_offset_at_that_moment():
    kolkata = place_time_zone("IN", ["Goa"])
    london = place_time_zone("GB", [])
    summer = dt.datetime(2027, 7, 1, 12, 0, tzinfo=dt.UTC)

    assert kolkata.label(summer) == "Kolkata time, UTC+5:30"
    assert london.label(summer) == "London time, UTC+1"
    assert london.label(STARTED) == "London time, UTC"
    assert london.moment(summer) == "Thu 1 Jul 2027, 13:00"
