"""A content change re-briefs only the trips whose own briefing changed (product.md, "Rule
semantics"): a trip to Astana is not re-briefed because Baikonur's section changed; its
acknowledged briefing stands and the audit trail says it was checked. Kazakhstan as the demo
pack ships it, trips filed, approved and acknowledged through the services, the change made
as an editor does: edit the draft, publish."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.models import Advisory, Country, Section
from advisories.services import advisory_publish
from briefings import services
from briefings.models import Briefing
from core.models import AuditEntry
from tests.briefings.helpers import CLOSED_AREAS, cleared_trip, d, demo_kazakhstan
from trips import services as trip_services
from trips.models import Trip, TripStatus
from trips.services import StopInput, TripInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def kazakhstan(db):
    return demo_kazakhstan()


@pytest.fixture
def astana_and_baikonur(kazakhstan, django_capture_on_commit_callbacks):
    astana = cleared_trip(django_capture_on_commit_callbacks, place="Astana", name="Aliya")
    baikonur = cleared_trip(django_capture_on_commit_callbacks, place="Baikonur", name="Boris")
    mail.outbox.clear()
    return astana, baikonur


def publish(country: Country, capture, note: str, *, material: bool = False):
    with capture(execute=True):
        return advisory_publish(
            country=Country.objects.get(pk=country.pk), by=None, change_note=note, material=material
        )


def mail_to(trip: Trip) -> list:
    return [message for message in mail.outbox if trip.traveller.email in message.to]


def test_a_baikonur_change_leaves_the_astana_trip_cleared_and_says_it_was_checked(
    astana_and_baikonur, kazakhstan, django_capture_on_commit_callbacks
):
    astana, _ = astana_and_baikonur
    section = Section.objects.get(key="kz-security-closed-areas")
    section.level = 3
    section.save()
    version = publish(kazakhstan, django_capture_on_commit_callbacks, "Closed areas eased")

    astana.refresh_from_db()
    assert astana.status == TripStatus.CLEARED
    assert Briefing.objects.filter(trip=astana).count() == 1
    assert astana.assessments.first().content_versions == {"KZ": version.number}
    assert mail_to(astana) == []
    (checked,) = AuditEntry.objects.filter(
        action="briefing.checked", object_id=str(Briefing.objects.get(trip=astana).pk)
    )
    assert checked.details["result"] == (
        f"checked against KZ v{version.number}: no change to this trip's briefing"
    )


def test_a_baikonur_change_rebriefs_the_baikonur_trip_with_one_email_naming_it(
    astana_and_baikonur, kazakhstan, django_capture_on_commit_callbacks
):
    _, baikonur = astana_and_baikonur
    section = Section.objects.get(key="kz-security-closed-areas")
    section.level = 3
    section.save()
    version = publish(kazakhstan, django_capture_on_commit_callbacks, "Closed areas eased")

    baikonur.refresh_from_db()
    assert baikonur.status == TripStatus.APPROVED  # to acknowledge again
    second = Briefing.objects.get(trip=baikonur, superseded=False)
    assert (second.version, second.status, second.reason) == (2, "ready", "content_changed")
    assert second.changes == [
        f"The Kazakhstan advisory was updated (version {version.number}): Closed areas eased",
        f"Section '{CLOSED_AREAS}' changed; its level fell from 4 to 3.",
    ]
    (message,) = mail_to(baikonur)
    assert f"Section '{CLOSED_AREAS}' changed" in message.body
    assert not AuditEntry.objects.filter(action="briefing.checked", object_id=str(second.pk))


def test_a_wording_change_to_a_baikonur_section_published_as_material_spares_astana(
    astana_and_baikonur, kazakhstan, django_capture_on_commit_callbacks
):
    astana, baikonur = astana_and_baikonur
    section = Section.objects.get(key="kz-security-closed-areas")
    section.body += "\n\nPermits now take six weeks."
    section.save()
    publish(kazakhstan, django_capture_on_commit_callbacks, "Permit delays", material=True)

    assert Trip.objects.get(pk=astana.pk).status == TripStatus.CLEARED
    assert Trip.objects.get(pk=baikonur.pk).status == TripStatus.APPROVED
    assert mail_to(astana) == []
    (message,) = mail_to(baikonur)
    assert f"Section '{CLOSED_AREAS}' changed." in message.body


def test_a_country_level_change_rebriefs_every_trip_there_with_one_email_each(
    astana_and_baikonur, kazakhstan, django_capture_on_commit_callbacks
):
    astana, baikonur = astana_and_baikonur
    Advisory.objects.filter(country=kazakhstan).update(level=1)
    publish(kazakhstan, django_capture_on_commit_callbacks, "Calmer")

    for trip in (astana, baikonur):
        trip.refresh_from_db()
        assert trip.status == TripStatus.APPROVED
        (message,) = mail_to(trip)
        assert "Kazakhstan's advisory level fell from 2 to 1." in message.body
    astana_changes = Briefing.objects.get(trip=astana, superseded=False).changes
    assert "Your risk level fell from 2 to 1." in astana_changes
    # Baikonur is a closed area of level 4 whatever the country's level.
    baikonur_changes = Briefing.objects.get(trip=baikonur, superseded=False).changes
    assert not any("risk level" in change for change in baikonur_changes)
    assert not AuditEntry.objects.filter(action="briefing.checked").exists()


def test_a_second_delivery_of_the_change_checks_and_rebriefs_nobody_again(
    astana_and_baikonur, kazakhstan, django_capture_on_commit_callbacks
):
    _, baikonur = astana_and_baikonur
    section = Section.objects.get(key="kz-security-closed-areas")
    section.level = 3
    section.save()
    version = publish(kazakhstan, django_capture_on_commit_callbacks, "Closed areas eased")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = trip_services.trips_reassess_for_country(country_code="KZ", version=version.number)
    assert again == 0
    assert mail.outbox == []
    assert Briefing.objects.filter(trip=baikonur).count() == 2
    assert AuditEntry.objects.filter(action="briefing.checked").count() == 1


def test_a_briefing_rendered_before_briefings_recorded_their_inputs_is_compared_all_the_same(
    astana_and_baikonur, kazakhstan, django_capture_on_commit_callbacks
):
    astana, _ = astana_and_baikonur
    Briefing.objects.filter(trip=astana).update(inputs={}, inputs_digest="")
    section = Section.objects.get(key="kz-security-closed-areas")
    section.level = 3
    section.save()
    publish(kazakhstan, django_capture_on_commit_callbacks, "Closed areas eased")
    assert Trip.objects.get(pk=astana.pk).status == TripStatus.CLEARED
    assert mail_to(astana) == []


def test_checking_a_trip_costs_the_same_queries_however_many_stops_sections_and_contacts(
    kazakhstan, django_capture_on_commit_callbacks
):

    small = cleared_trip(django_capture_on_commit_callbacks, place="Astana", name="Aliya")
    big = cleared_trip(django_capture_on_commit_callbacks, place="Astana", name="Bek", arrival=40)
    data = TripInput(
        purpose=big.purpose,
        stops=[
            StopInput(country="KZ", place=place, arrival=d(40 + 3 * n), departure=d(43 + 3 * n))
            for n, place in enumerate(["Astana", "Almaty", "Karaganda", "Shymkent"])
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        trip_services.trip_update(trip=big, by=big.traveller, data=data)
    briefing = Briefing.objects.get(trip=big, superseded=False)

    services.briefing_acknowledge(briefing=briefing, user=big.traveller, sha256=briefing.sha256)
    section = Section.objects.get(key="kz-security-closed-areas")
    section.level = 3
    section.save()
    with django_capture_on_commit_callbacks(execute=False):
        version = advisory_publish(country=kazakhstan, by=None, change_note="x", material=False)

    counts = []
    for trip in (small, big):
        with CaptureQueriesContext(connection) as queries:
            trip_services.trip_reassess(
                trip=trip, reason="Eased", country_code="KZ", version=version.number
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert AuditEntry.objects.filter(action="briefing.checked").count() == 2
    assert set(Trip.objects.values_list("status", flat=True)) == {TripStatus.CLEARED}
