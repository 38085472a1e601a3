"""Incident pages: declaring one in the form, its page with who it touches (and the CSV), the
list, and who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from incidents.models import Incident
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    content_admin,
    country,
    employee,
    logged_in,
    manager,
    trip_with_stops,
)
from tests.incidents.helpers import day

pytestmark = pytest.mark.django_db


def form(**overrides):
    return {
        "title": "Explosion near the Green Bazaar",
        "severity": "warning",
        "category": "terrorism",
        "country": "KZ",
        "places": "Almaty",
        "starts_on": "2027-03-10",
        "ends_on": "",
        "lookahead_days": "3",
        "summary": "",
        "source": "",
        "external_id": "",
        **overrides,
    }


def test_a_manager_declares_an_incident_in_the_form_and_lands_on_its_page(kz):
    response = logged_in(manager()).post("/incidents/new/", form(), follow=True)
    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == f"/incidents/{incident.pk}/"
    assert "Explosion near the Green Bazaar" in response.content.decode()
    assert [place.name for place in incident.places.all()] == ["Almaty"]


def test_the_form_shows_the_services_errors_beside_their_fields_and_saves_nothing(kz):
    PlaceFactory(country=country("MN"), name="Hill Town")
    response = logged_in(manager()).post(
        "/incidents/new/", form(places=["Almaty", "Hill Town"], ends_on="2027-03-01")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "&#x27;Hill Town&#x27; is not a curated place of Kazakhstan." in page
    assert "An incident cannot end before it starts." in page
    assert not Incident.objects.exists()


def test_a_content_admin_may_declare_but_sees_no_travellers(kz):
    incident = IncidentFactory(places=[kz["almaty"]])
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(10), "departure": day(12)},
        purpose="Visit",
    )
    client = logged_in(content_admin())
    assert client.get("/incidents/new/").status_code == 200
    page = client.get(f"/incidents/{incident.pk}/?on=2027-03-10").content.decode()
    assert "Who it touches" not in page
    assert "Visit" not in page


def test_employees_get_403_on_every_incident_page(kz):
    incident = IncidentFactory()
    client = logged_in(employee())
    for url in [
        "/incidents/",
        "/incidents/new/",
        f"/incidents/{incident.pk}/",
        f"/incidents/{incident.pk}/edit/",
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post("/incidents/new/", form()).status_code == 403
    assert Incident.objects.count() == 1


def test_an_unknown_incident_page_is_a_404(kz):
    assert logged_in(manager()).get("/incidents/999/").status_code == 404


def test_the_incident_page_groups_travellers_there_first_with_phones_and_counts(kz):
    incident = IncidentFactory(places=[kz["almaty"]])
    erin = employee(username="erin", first_name="Erin", last_name="Traveller")
    erin.profile.phone = "+44 7700 900123"
    erin.profile.save()
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(12), "departure": day(14)},
        purpose="Arriving visit",
    )
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": None,
            "place_text": "Shymbulak",
            "arrival": day(9),
            "departure": day(11),
        },
        purpose="Ski trip",
        traveller=erin,
    )
    page = logged_in(manager()).get(f"/incidents/{incident.pk}/?on=2027-03-10").content.decode()
    assert page.index("There now (1)") < page.index("Arriving (1)")
    assert page.index("Ski trip") < page.index("Arriving visit")
    assert "+44 7700 900123" in page
    assert "Possibly (place not recognised)" in page
    assert 'data-count="there">1<' in page and 'data-count="arriving">1<' in page


def test_the_impacted_list_downloads_as_csv(kz):
    incident = IncidentFactory(places=[kz["almaty"]])
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(10), "departure": day(12)},
        purpose="=HYPERLINK()",
    )
    response = logged_in(manager()).get(f"/incidents/{incident.pk}/?on=2027-03-10&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["presence", "match", "traveller"]
    assert rows[1][:2] == ["there", "place"]
    assert "'=HYPERLINK()" in rows[1]  # a formula is neutralised


def test_the_list_shows_open_incidents_first_with_counts_and_searches_closed_ones(kz):
    past = dt.date.today() - dt.timedelta(days=30)
    IncidentFactory(title="Old flood in Atyrau", starts_on=past, ends_on=past)
    IncidentFactory(title="Another old storm", starts_on=past, ends_on=past)
    open_one = IncidentFactory(title="Blast in Almaty", places=[kz["almaty"]], starts_on=day(10))
    client = logged_in(manager())
    page = client.get("/incidents/").content.decode()
    assert page.index("Blast in Almaty") < page.index("Old flood in Atyrau")
    searched = client.get("/incidents/?q=flood").content.decode()
    assert "Old flood in Atyrau" in searched and "Another old storm" not in searched
    assert "Blast in Almaty" in searched  # open ones stay on top whatever the search
    assert open_one.is_open


def test_editing_an_incident_closes_it(kz):
    incident = IncidentFactory(places=[kz["almaty"]])
    response = logged_in(manager()).post(
        f"/incidents/{incident.pk}/edit/", form(ends_on="2027-03-11"), follow=True
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert str(incident.ends_on) == "2027-03-11"


# --- the pickers: countries and places are chosen, not typed ----------------------------------


def test_the_form_picks_the_country_and_the_places_from_the_curated_lists(kz):
    PlaceFactory(country=country("MN"), name="Hill Town")
    page = logged_in(manager()).get("/incidents/new/").content.decode()
    assert '<select name="country"' in page and "data-combobox" in page.split('name="country"')[1]
    places = page.split('<select name="places"')[1].split("</select>")[0]
    assert " multiple" in places and 'data-combobox-scope="id_country"' in places
    assert '<optgroup label="Kazakhstan">' in places and '<optgroup label="Mongolia">' in places
    assert '<option value="Almaty" data-country="KZ">Almaty</option>' in places
    assert '<option value="Hill Town" data-country="MN">Hill Town</option>' in places
    assert "separated by commas" not in page


def test_two_picked_places_are_saved_and_shown_chosen_when_editing(kz):
    client = logged_in(manager())
    client.post("/incidents/new/", form(places=["Astana", "Almaty"]))
    incident = Incident.objects.get()
    assert sorted(place.name for place in incident.places.all()) == ["Almaty", "Astana"]
    page = client.get(f"/incidents/{incident.pk}/edit/").content.decode()
    places = page.split('<select name="places"')[1].split("</select>")[0]
    assert '<option value="Almaty" selected data-country="KZ">Almaty</option>' in places
    assert '<option value="Astana" selected data-country="KZ">Astana</option>' in places


def test_a_place_that_is_not_curated_is_a_form_error_and_nothing_is_saved(kz):
    response = logged_in(manager()).post("/incidents/new/", form(places=["Atlantis"]))
    assert response.status_code == 200
    assert "Atlantis is not one of the available choices" in response.content.decode()
    assert not Incident.objects.exists()
