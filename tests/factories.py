"""factory_boy factories shared by every test module."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.test import APIClient

from advisories.models import (
    Activity,
    Advisory,
    Country,
    EmergencyContact,
    Place,
    PlaceAlias,
    Rule,
    Section,
    Source,
)
from core import roles
from trips.models import Stop, Trip


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        role_name = extracted or roles.EMPLOYEE
        self.groups.add(Group.objects.get(name=role_name))
        # As loaddemo: content admins curate in the admin, managers read the audit trail,
        # trips and the approval policy there.
        if role_name in (roles.CONTENT_ADMIN, roles.MANAGER):
            self.is_staff = True
            self.save(update_fields=["is_staff"])


def employee(**kwargs) -> User:
    return UserFactory(role=roles.EMPLOYEE, **kwargs)


def manager(**kwargs) -> User:
    return UserFactory(role=roles.MANAGER, **kwargs)


def arranger_for(*travellers: User, **kwargs) -> User:
    arranger = UserFactory(role=roles.ARRANGER, **kwargs)
    for traveller in travellers:
        traveller.profile.arrangers.add(arranger)
    return arranger


def content_admin(**kwargs) -> User:
    return UserFactory(role=roles.CONTENT_ADMIN, **kwargs)


def without_role(**kwargs) -> User:
    """A signed-in user in none of the four groups (and not a superuser)."""
    user = UserFactory(**kwargs)
    user.groups.clear()
    return user


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"source-{n}")
    publisher = "Ministry of Examples"
    title = factory.Sequence(lambda n: f"Entry rules, part {n}")
    url = "https://example.org/rules"
    retrieved = dt.date(2026, 11, 1)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"activity{n}")
    label = factory.LazyAttribute(lambda a: a.code.replace("_", " ").capitalize())


def country(code: str) -> Country:
    return Country.objects.get(code=code)


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    country = factory.LazyFunction(lambda: country("KZ"))
    name = factory.Sequence(lambda n: f"Town {n}")
    kind = "city"
    level = None


class PlaceAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaceAlias

    place = factory.SubFactory(PlaceFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")


class AdvisoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advisory

    country = factory.LazyFunction(lambda: country("KZ"))
    level = 2
    summary = "Take normal precautions; see the sections for specifics."


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    advisory = factory.SubFactory(AdvisoryFactory)
    key = factory.Sequence(lambda n: f"section-{n}")
    topic = "crime"
    heading = factory.Sequence(lambda n: f"Crime note {n}")
    body = "Keep valuables out of sight."
    source = factory.SubFactory(SourceFactory)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    country = factory.LazyFunction(lambda: country("KZ"))
    key = factory.Sequence(lambda n: f"rule-{n}")
    kind = "registration"
    title = "Register with the migration police"
    detail = "Register your stay."
    threshold_days = 5
    deadline_days = 5
    deadline_unit = "calendar"
    source = factory.SubFactory(SourceFactory)


class EmergencyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmergencyContact

    country = factory.LazyFunction(lambda: country("KZ"))
    label = "Police"
    number = "102"


class TripFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trip

    traveller = factory.LazyFunction(employee)
    created_by = factory.SelfAttribute("traveller")
    purpose = factory.Sequence(lambda n: f"Site visit {n}")


class StopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stop

    trip = factory.SubFactory(TripFactory)
    position = factory.Sequence(lambda n: n)
    country = factory.LazyFunction(lambda: country("KZ"))
    arrival = dt.date(2027, 3, 1)
    departure = dt.date(2027, 3, 4)


def content_pack(code: str = "MN", *, level: int = 2) -> dict:
    """A small valid content pack for one country: a source, an activity, a place with an
    alias, a section, a registration rule and an emergency contact."""
    return {
        "format": "travel-risk-content/1",
        "sources": [
            {
                "key": f"{code.lower()}-entry",
                "publisher": "Ministry of Examples",
                "title": "Entry rules",
                "url": "https://example.org/entry",
                "retrieved": "2026-11-01",
                "licence": "Facts restated in our own words",
            }
        ],
        "activities": [{"code": "driving", "label": "Driving a vehicle"}],
        "countries": [
            {
                "code": code,
                "advisory": {
                    "level": level,
                    "summary": "Take normal precautions.",
                    "material": True,
                    "change_note": "First edition",
                    "sections": [
                        {
                            "key": f"{code.lower()}-crime",
                            "topic": "crime",
                            "heading": "Petty crime",
                            "body": "Watch your **bags** in markets.",
                            "level": None,
                            "places": ["Capital City"],
                            "activities": [],
                            "months": [],
                            "source": f"{code.lower()}-entry",
                        }
                    ],
                },
                "places": [
                    {
                        "name": "Capital City",
                        "aliases": ["Old Capital"],
                        "kind": "city",
                        "level": None,
                    }
                ],
                "emergency_contacts": [{"label": "Police", "number": "102", "place": None}],
                "rules": [
                    {
                        "key": f"{code.lower()}-registration",
                        "kind": "registration",
                        "title": "Register your stay",
                        "threshold_days": 5,
                        "deadline_days": 3,
                        "deadline_unit": "working",
                        "source": f"{code.lower()}-entry",
                    }
                ],
            }
        ],
    }


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "incidents.Incident"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Incident {n}")
    summary = "Explosion reported near the central market."
    severity = "warning"
    category = "terrorism"
    country = factory.LazyFunction(lambda: country("KZ"))
    starts_on = dt.date(2027, 3, 10)
    lookahead_days = 3

    @factory.post_generation
    def places(self, create, extracted, **kwargs):
        if create and extracted:
            self.places.set(extracted)


def trip_with_stops(*stops: dict, status: str = "approved", traveller=None, **kwargs) -> Trip:
    """A trip in ``status`` with these stops (StopFactory fields), positions in order."""
    trip = TripFactory(status=status, **({"traveller": traveller} if traveller else {}), **kwargs)
    for position, stop in enumerate(stops):
        StopFactory(trip=trip, position=position, **stop)
    arrivals = [stop.arrival for stop in trip.stops.all()]
    departures = [stop.departure for stop in trip.stops.all()]
    if arrivals:
        trip.first_arrival, trip.last_departure = min(arrivals), max(departures)
        trip.save(update_fields=["first_arrival", "last_departure"])
    return trip


# --- signed-in clients ------------------------------------------------------------------------


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def logged_in(user) -> Client:
    """A browser session signed in as `user` (pages, with CSRF checks off as in any test)."""
    client = Client()
    client.force_login(user)
    return client
