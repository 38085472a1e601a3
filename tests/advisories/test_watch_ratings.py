import io

import pytest
from django.core.files.storage import storages
from pypdf import PdfReader

from advisories.models import WatchedSource
from advisories.services import advisory_publish
from advisories.watch.services import source_disagreement_reviewed
from briefings import services as briefing_services
from core.audit import AuditEntry
from tests.advisories.watch_helpers import published_kazakhstan, rated_by_us
from tests.briefings.content import approved_trip, publish_kz
from tests.factories import (
    api_as,
    content_admin,
    employee,
    logged_in,
    manager,
    trip_with_stops,
)
from trips.models import Assessment

pytestmark = pytest.mark.django_db


def test_the_ratings_api_gives_ours_theirs_and_whether_they_disagree():
    published_kazakhstan(level=2)
    rated_by_us("Level 3: Reconsider Travel")
    response = api_as(employee()).get("/api/countries/KZ/ratings/")
    assert response.status_code == 200
    body = response.json()
    assert body["ours"] == 2
    assert body["disagree"] is True
    (source,) = body["sources"]
    assert source["source"] == "US State Department"
    assert source["rating"] == "Level 3: Reconsider Travel"
    assert source["level"] == 4
    assert source["url"].endswith("/kazakhstan-travel-advisory.html")
    assert source["retrieved_at"]


def test_a_source_one_level_above_ours_is_no_disagreement():
    published_kazakhstan(level=2)
    rated_by_us("Level 2: Exercise Increased Caution")
    body = api_as(employee()).get("/api/countries/KZ/ratings/").json()
    assert (body["sources"][0]["level"], body["disagree"]) == (2, False)


def test_do_not_travel_disagrees_with_our_four():
    published_kazakhstan(level=4)
    rated_by_us("Level 4: Do Not Travel")
    assert api_as(employee()).get("/api/countries/KZ/ratings/").json()["disagree"] is True


def test_a_country_nobody_watches_has_no_sources_and_no_level_of_ours():
    body = api_as(employee()).get("/api/countries/MN/ratings/").json()
    assert body == {"ours": None, "sources": [], "disagree": False}


def test_an_unknown_country_is_a_404_and_a_stranger_is_refused(api):
    assert api_as(employee()).get("/api/countries/XX/ratings/").status_code == 404
    assert api.get("/api/countries/KZ/ratings/").status_code in (401, 403)


def test_a_review_clears_the_flag_until_a_reading_disagrees_anew():
    country = published_kazakhstan(level=2)
    source = rated_by_us("Level 3: Reconsider Travel")
    editor = content_admin()
    assert source_disagreement_reviewed(source=source, by=editor)
    assert api_as(employee()).get("/api/countries/KZ/ratings/").json()["disagree"] is False
    assert AuditEntry.objects.filter(action="advisory.source_rating_reviewed").count() == 1
    # The same rating read again: still reviewed.
    rated_by_us("Level 3: Reconsider Travel", source=source)
    assert api_as(employee()).get("/api/countries/KZ/ratings/").json()["disagree"] is False
    # A new rating that disagrees: flagged again.
    rated_by_us("Level 4: Do Not Travel", source=source)
    assert api_as(employee()).get("/api/countries/KZ/ratings/").json()["disagree"] is True
    # Reviewed again, then our level changes: the review was of our 2, not our 3.
    source_disagreement_reviewed(source=WatchedSource.objects.get(pk=source.pk), by=editor)
    assert api_as(employee()).get("/api/countries/KZ/ratings/").json()["disagree"] is False
    advisory = country.advisory
    advisory.level = 3
    advisory.save()
    advisory_publish(country=country, by=None, change_note="Raised", material=True)
    assert api_as(employee()).get("/api/countries/KZ/ratings/").json()["disagree"] is True


def test_the_reviewed_action_in_the_admin_clears_the_flag():
    published_kazakhstan(level=2)
    source = rated_by_us()
    response = logged_in(content_admin()).post(
        "/admin/advisories/watchedsource/",
        {"action": "disagreement_reviewed", "_selected_action": [source.pk]},
    )
    assert response.status_code == 302
    assert api_as(employee()).get("/api/countries/KZ/ratings/").json()["disagree"] is False


def test_the_destination_page_shows_our_level_beside_theirs():
    published_kazakhstan(level=2)
    rated_by_us()
    page = logged_in(employee()).get("/destinations/KZ/").content.decode()
    assert "Official sources beside our level" in page
    assert "US State Department" in page
    assert "Level 3: Reconsider Travel" in page
    assert "sources disagree" in page


def test_the_trip_page_names_each_source_beside_our_level():
    published_kazakhstan(level=2)
    rated_by_us()
    traveller = employee()
    trip = trip_with_stops({}, status="pending_approval", traveller=traveller)
    Assessment.objects.create(
        trip=trip, risk_level=2, requires_approval=False, explanation=["Kazakhstan is level 2"]
    )
    page = logged_in(traveller).get(f"/trips/{trip.pk}/").content.decode()
    assert "US State Department: Level 3: Reconsider Travel (4 on our scale; ours is 2)" in page


def test_the_approval_queue_badges_a_country_whose_sources_disagree():
    published_kazakhstan(level=2)
    trip_with_stops({}, status="pending_approval")
    boss = manager()
    assert "sources disagree" not in logged_in(boss).get("/approvals/").content.decode()
    rated_by_us()
    page = logged_in(boss).get("/approvals/").content.decode()
    assert "Kazakhstan: sources disagree" in page


def test_the_advisory_list_in_the_admin_counts_the_sources_changed_and_unreviewed():
    published_kazakhstan(level=2)
    source = rated_by_us()
    WatchedSource.objects.filter(pk=source.pk).update(change_unreviewed=True)
    editor = logged_in(content_admin())
    page = editor.get("/admin/advisories/advisory/").content.decode()
    assert "1 watched source changed, unreviewed" in page
    assert "1 source disagrees with our level, unreviewed" in page
    listed = editor.get("/admin/advisories/watchedsource/?changed=yes").content.decode()
    assert "Changed, unreviewed" in listed
    editor.post(
        "/admin/advisories/watchedsource/",
        {"action": "change_reviewed", "_selected_action": [source.pk]},
    )
    assert "changed, unreviewed" not in editor.get("/admin/advisories/advisory/").content.decode()


def test_the_briefing_names_each_source_beside_our_level(django_capture_on_commit_callbacks):
    trip = approved_trip(version=publish_kz(level=2))
    rated_by_us()
    with django_capture_on_commit_callbacks(execute=True):
        briefing = briefing_services.briefing_request(trip=trip, reason="approved")
    briefing.refresh_from_db()
    with storages["private"].open(briefing.file_name) as handle:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)
    assert "Official sources beside our level" in text
    assert "Level 3: Reconsider Travel (4 on our scale; ours is 2)" in " ".join(text.split())
