"""The demo company: the shipped content pack, one user per role (password `demo`) and a few
trips in different states. Safe to run twice: it tops up, never duplicates."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from advisories.packs import PackError, PackRefused, pack_import
from core import roles
from core.models import CompanySettings
from incidents.services import IncidentInput, incident_declare
from trips import services
from trips.models import Trip, TripStatus

DEMO_PACK = Path(settings.BASE_DIR) / "advisories" / "content" / "demo-pack.json"

DEMO_BOOKINGS = Path(settings.BASE_DIR) / "bookings" / "demo"
# Days from today: Emma's booked trip (clear of her hand-filed ones) and the unknown
# traveller's flight.
DEMO_BOOKING_EMAILS = [("employee-almaty.eml", 55, 60), ("unknown-traveller.eml", 50, 50)]

DEMO_USERS = [
    # username, role, first, last, nationality, extra
    ("employee", roles.EMPLOYEE, "Emma", "Employee", "GB", {"department": "Engineering"}),
    ("arranger", roles.ARRANGER, "Arthur", "Arranger", "GB", {"department": "Travel desk"}),
    ("manager", roles.MANAGER, "Mira", "Manager", "US", {"department": "Security"}),
    ("manager2", roles.MANAGER, "Max", "Manager", "GB", {"department": "Security"}),
    (
        "editor",
        roles.CONTENT_ADMIN,
        "Elena",
        "Editor",
        "GB",
        {"department": "Security intelligence"},
    ),
    ("admin", None, "Ada", "Admin", "GB", {"department": "IT"}),
    # A second traveller, abroad today with Emma (who-is-where, the map and a safety check have
    # someone to show from the first minute).
    ("traveller", roles.EMPLOYEE, "Tomas", "Traveller", "DE", {"department": "Sales"}),
]


class Command(BaseCommand):
    help = "Load the demo company: content pack, users (password 'demo') and sample trips."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "loaddemo creates users with the password 'demo'; it refuses to run with DEBUG "
                "off. Use --force if this really is a demo installation."
            )
        self.load_content()
        self.load_company()
        users = self.load_users()
        self.load_trips(users)
        self.load_incidents(users)
        self.load_bookings()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo loaded. Log in as employee, traveller, arranger, manager, manager2, "
                "editor or admin with the password 'demo'."
            )
        )

    def load_content(self) -> None:
        data = json.loads(DEMO_PACK.read_text(encoding="utf-8"))
        try:
            report = pack_import(data, draft=False, by=None)
        except PackRefused as refusal:
            # An editor's unpublished work on the demo countries is kept: publish or discard
            # it in the admin (or import the pack with import_content --force) first.
            raise CommandError(
                "The demo content was not loaded: it would lose an editor's work.\n"
                + "\n".join(refusal.errors)
            ) from None
        except PackError as error:
            raise CommandError("The demo pack is invalid:\n" + "\n".join(error.errors)) from None
        self.stdout.write("Content:\n" + report.summary())

    def load_company(self) -> None:
        # A number from Ofcom's range kept for drama (never anyone's line), and a demo address;
        # a real installation sets its own in the admin. A desk already set is left alone.
        company = CompanySettings.current()
        if not company.security_desk_phone and not company.security_desk_email:
            company.security_desk_phone = "+44 20 7946 0999"
            company.security_desk_email = "security-desk@example.com"
            company.save()

    @transaction.atomic
    def load_users(self) -> dict[str, User]:
        users: dict[str, User] = {}
        for username, role, first, last, nationality, extra in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                },
            )
            if created:
                user.set_password("demo")
            if role is None:
                user.is_superuser = user.is_staff = True
            else:
                user.groups.add(Group.objects.get(name=role))
                # Content admins and managers work in the admin (content; policy, audit trail).
                user.is_staff = role in (roles.CONTENT_ADMIN, roles.MANAGER)
            user.save()
            profile = user.profile
            profile.nationality = nationality
            profile.phone = profile.phone or "+44 20 7946 0000"
            profile.date_of_birth = profile.date_of_birth or dt.date(1988, 5, 17)
            profile.emergency_contact_name = profile.emergency_contact_name or "Sam Contact"
            profile.emergency_contact_phone = profile.emergency_contact_phone or "+44 20 7946 0999"
            for name, value in extra.items():
                setattr(profile, name, value)
            profile.save()
            users[username] = user
        users["employee"].profile.arrangers.add(users["arranger"])
        return users

    def load_trips(self, users: dict[str, User]) -> None:
        employee = users["employee"]
        if Trip.objects.filter(traveller=employee).exists():
            return
        today = timezone.localdate()

        def stop(country, place, start, days, activities=(), transit=False):
            arrival = today + dt.timedelta(days=start)
            return services.StopInput(
                country=country,
                place=place,
                arrival=arrival,
                departure=arrival + dt.timedelta(days=days),
                activities=list(activities),
                transit=transit,
            )

        # A draft still being planned.
        services.trip_create(
            by=employee,
            data=services.TripInput(
                purpose="Customer workshop in Almaty (draft)",
                stops=[stop("KZ", "Almaty", 40, 3)],
            ),
        )
        # A long stay with nightlife in Almaty and a move to Astana: level 3, needs approval.
        pending = services.trip_create(
            by=users["arranger"],
            traveller=employee,
            data=services.TripInput(
                purpose="Pipeline audit, Almaty and Astana",
                stops=[
                    stop("KZ", "Almaty", 10, 6, ["nightlife", "driving"]),
                    stop("KZ", "Astana", 16, 4),
                ],
            ),
        )
        services.trip_submit(trip=pending, by=users["arranger"])
        # A short low-risk visit: approved automatically, its briefing queued.
        services.trip_submit(
            trip=services.trip_create(
                by=employee,
                data=services.TripInput(
                    purpose="Partner meeting in Astana",
                    stops=[stop("KZ", "Astana", 4, 3, ["business_meetings"])],
                ),
            ),
            by=employee,
        )
        # A trip to a closed area: approved by a manager.
        closed = services.trip_create(
            by=users["manager2"],
            data=services.TripInput(
                purpose="Launch-site inspection, Baikonur",
                stops=[stop("KZ", "Almaty", 20, 2), stop("KZ", "Baikonur", 22, 3, ["photography"])],
            ),
        )
        services.trip_submit(trip=closed, by=users["manager2"])
        services.trip_approve(
            trip=closed, by=users["manager"], comment="Permit confirmed by the host."
        )
        # Abroad today: Emma arrives in Almaty, where demonstrations go on (the open incident
        # below touches her), and Tomas in Astana.
        self.file_under_way(
            users,
            traveller=employee,
            by=users["arranger"],
            data=services.TripInput(
                purpose="Supplier visit in Almaty", stops=[stop("KZ", "Almaty", 0, 3)]
            ),
        )
        self.file_under_way(
            users,
            traveller=users["traveller"],
            by=users["traveller"],
            data=services.TripInput(
                purpose="Trade fair in Astana",
                stops=[stop("KZ", "Astana", 0, 5, ["business_meetings"])],
            ),
        )

    def file_under_way(self, users, *, traveller: User, by: User, data) -> None:
        """File and submit a trip that starts today; one a manager must approve is approved."""

        trip = services.trip_create(by=by, traveller=traveller, data=data)
        trip = services.trip_submit(trip=trip, by=by)
        if trip.status == TripStatus.PENDING_APPROVAL:
            for manager in (users["manager"], users["manager2"])[: trip.approvals_needed]:
                trip = services.trip_approve(
                    trip=trip, by=manager, comment="Local contacts confirmed."
                )

    def load_incidents(self, users: dict[str, User]) -> None:
        """An open warning in Almaty that touches three demo trips (Emma's supplier visit, under
        way today, the pending audit and the Baikonur inspection's Almaty stop), and a closed
        one. Declared under a demo source and
        external id, so a second run updates them instead of adding more."""

        today = timezone.localdate()
        incident_declare(
            by=users["manager"],
            data=IncidentInput(
                title="Demonstrations in central Almaty",
                summary="Daily demonstrations around **Republic Square**; roads close at short "
                "notice. Avoid crowds and allow extra time to reach the airport.",
                severity="warning",
                category="civil_unrest",
                country="KZ",
                places=["Almaty"],
                starts_on=today - dt.timedelta(days=1),
                ends_on=today + dt.timedelta(days=20),
                lookahead_days=3,
                source="demo",
                external_id="demo-almaty-demonstrations",
            ),
        )
        incident_declare(
            by=users["manager"],
            data=IncidentInput(
                title="Flooding in the Atyrau region",
                summary="Spring floods closed roads around Atyrau; they have reopened.",
                severity="info",
                category="natural_hazards",
                country="KZ",
                starts_on=today - dt.timedelta(days=60),
                ends_on=today - dt.timedelta(days=50),
                lookahead_days=3,
                source="demo",
                external_id="demo-atyrau-floods",
            ),
        )

    def load_bookings(self) -> None:
        """Two booking e-mails, received as import_bookings receives them: Emma's (a booked
        trip with its flights and hotel) and one for a traveller the portal does not know
        (waiting in the unassigned bookings). Their references make a second run an update
        that changes nothing."""
        from string import Template

        from bookings.mail.answers import summary
        from bookings.mail.receive import DOOR_COMMAND, booking_email_receive

        today = timezone.localdate()
        sent = email.utils.format_datetime(timezone.now())
        for name, out_days, back_days in DEMO_BOOKING_EMAILS:
            out = today + dt.timedelta(days=out_days)
            text = Template((DEMO_BOOKINGS / name).read_text(encoding="utf-8")).substitute(
                sent=sent,
                out=out.isoformat(),
                out_next=(out + dt.timedelta(days=1)).isoformat(),
                back=(today + dt.timedelta(days=back_days)).isoformat(),
            )
            outcome = booking_email_receive(
                raw=text.encode("utf-8"), door=DOOR_COMMAND, by=None, via="loaddemo"
            )
            self.stdout.write(f"Booking e-mail {name}: {summary(outcome)}")
