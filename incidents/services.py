"""Writes for incidents: declaring and changing them (the page, the API and the import command
share these, with the same validation and permission checks), and the alert e-mail to the
travellers arriving into one."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from advisories.models import Country, Place
from advisories.selectors import place_match
from core import roles
from core.audit import audit_record
from core.errors import Conflict, InvalidInput, NotAllowed
from core.lib.dates import portal_dates
from core.lib.text import has_visible_text, text_problem
from core.lib.vocabulary import Topic
from core.mail import send_templated
from core.outbox import outbox_enqueue
from core.templatetags.days import day as written_day
from incidents import selectors
from incidents.checks.services import check_close, check_start_if_critical
from incidents.models import (
    LOOKAHEAD_MAX,
    RADIUS_MAX_KM,
    RADIUS_MIN_KM,
    SEVERITY_RANK,
    CheckRecipient,
    CheckStatus,
    Incident,
    IncidentAlert,
    IncidentAllClear,
    SafetyCheck,
    Severity,
)

logger = logging.getLogger(__name__)

MAY_NOT_DECLARE = "Only security managers and content admins may declare incidents."


@dataclass
class IncidentInput:
    """An incident as the API, the form and a feed file give it. ``places`` are names (or
    aliases) of curated places of ``country``."""

    title: str
    country: str
    starts_on: dt.date | None
    severity: str = Severity.WARNING
    category: str = ""
    summary: str = ""
    places: list[str] = field(default_factory=list)
    ends_on: dt.date | None = None
    lookahead_days: int | None = 3
    source: str = ""
    external_id: str = ""
    # A point and a radius (degrees, km): all three or none; then ``country`` may be empty.
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None


def may_declare(user: User | None) -> bool:
    return user is not None and (roles.is_manager(user) or roles.is_content_admin(user))


def _one_line(text: str) -> bool:
    # No control characters and no direction overrides (core.lib.text).
    return text_problem(text) is None


def _point_errors(data: IncidentInput) -> dict[str, list[str]]:
    """A point and a radius: all three or none, each in its range."""
    errors: dict[str, list[str]] = {}
    ranges = {
        "latitude": (-90, 90, "Latitude is in degrees from -90 (south) to 90 (north)."),
        "longitude": (-180, 180, "Longitude is in degrees from -180 (west) to 180 (east)."),
        "radius_km": (
            RADIUS_MIN_KM,
            RADIUS_MAX_KM,
            f"The radius is from {RADIUS_MIN_KM} to {RADIUS_MAX_KM} km.",
        ),
    }
    given = {name: getattr(data, name) for name in ranges}
    for name, value in given.items():
        low, high, message = ranges[name]
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            errors[name] = [message]
    if any(value is not None for value in given.values()):
        missing = {
            "latitude": "Give the latitude of the point too.",
            "longitude": "Give the longitude of the point too.",
            "radius_km": "Give a radius (km) around the point: who is within it is touched.",
        }
        for name, value in given.items():
            if value is None:
                errors[name] = [missing[name]]
    return errors


def incident_validate(data: IncidentInput) -> tuple[Country | None, list[Place]]:
    """Raise InvalidInput naming every bad field; return the country (None for an incident
    with a point and no country) and the curated places.

    Nothing is saved before this passes, so a bad request leaves no trace.
    """
    errors: dict[str, list[str]] = {}
    title = data.title.strip()
    if not has_visible_text(title):
        errors["title"] = ["Give the incident a title."]
    elif not _one_line(title):
        errors["title"] = ["Write the title on one line, without control characters."]
    if data.severity not in Severity.values:
        errors["severity"] = [f"Unknown severity {data.severity!r}: {', '.join(Severity.values)}."]
    if data.category not in Topic.codes():
        errors["category"] = [
            f"Unknown category {data.category!r}: one of {', '.join(Topic.codes())}."
        ]
    # Within the portal's horizon: its window is shifted by the lookahead, and a feed's
    # 9999-12-31 would overflow every page that shows it.
    bounds = portal_dates(timezone.localdate())
    for name in ("starts_on", "ends_on"):
        day = getattr(data, name)
        if day is not None and (problem := bounds.problem(day)):
            errors[name] = [problem]
    dates_refused = "starts_on" in errors or "ends_on" in errors
    if data.starts_on is None:
        errors["starts_on"] = ["Say when it started (YYYY-MM-DD)."]
    elif data.ends_on is not None and data.ends_on < data.starts_on and not dates_refused:
        errors["ends_on"] = ["An incident cannot end before it starts."]
    if data.lookahead_days is None or not 0 <= data.lookahead_days <= LOOKAHEAD_MAX:
        errors["lookahead_days"] = [f"Lookahead is a number of days from 0 to {LOOKAHEAD_MAX}."]
    for name in ("source", "external_id"):
        if not _one_line(getattr(data, name)):
            errors[name] = ["Write it on one line, without control characters."]
    if problem := text_problem(data.summary or "", multiline=True):
        errors["summary"] = [problem]
    errors.update(_point_errors(data))
    has_point = data.radius_km is not None or data.latitude is not None
    code = (data.country or "").strip().upper()
    country = Country.objects.filter(code=code).first() if code else None
    places: list[Place] = []
    if code and country is None:
        errors["country"] = [f"Unknown country code {data.country!r}."]
    elif country is None and not has_point:
        errors["country"] = ["Give the country, or a point and a radius."]
    elif country is None and data.places:
        errors["places"] = ["Curated places belong to a country: give the country too."]
    elif country is not None:
        unknown = []
        for name in data.places:
            place = place_match(country.code, name) if name.strip() else None
            if place is None:
                unknown.append(name)
            elif place not in places:
                places.append(place)
        if unknown:
            errors["places"] = [
                f"{name!r} is not a curated place of {country.name}." for name in unknown
            ]
    if errors:
        raise InvalidInput(errors, "The incident is not valid.")
    return country, places


def _snapshot(incident: Incident) -> dict[str, Any]:
    return {
        "title": incident.title,
        "severity": incident.severity,
        "category": incident.category,
        "country": incident.country_id,
        "places": sorted(place.name for place in incident.places.all()),
        "latitude": incident.latitude,
        "longitude": incident.longitude,
        "radius_km": incident.radius_km,
        "starts_on": incident.starts_on.isoformat() if incident.starts_on else None,
        "ends_on": incident.ends_on.isoformat() if incident.ends_on else None,
        "lookahead_days": incident.lookahead_days,
        "source": incident.source,
        "external_id": incident.external_id,
        "summary": incident.summary,
    }


def _apply(incident: Incident, data: IncidentInput, country: Country | None) -> None:
    incident.title = data.title.strip()
    incident.summary = data.summary
    incident.severity = data.severity
    incident.category = data.category
    incident.country = country
    incident.latitude = data.latitude
    incident.longitude = data.longitude
    incident.radius_km = data.radius_km
    assert data.starts_on is not None and data.lookahead_days is not None
    incident.starts_on = data.starts_on
    incident.ends_on = data.ends_on
    incident.lookahead_days = data.lookahead_days
    incident.source = data.source.strip()
    incident.external_id = data.external_id.strip()


def incident_alert_enqueue(incident: Incident) -> None:
    """Alert the travellers arriving into it, on a worker, once the change is committed.

    Recorded in the caller's transaction (core.outbox), so a broker that is down neither
    undoes a declared incident nor loses its alert; each traveller is claimed before being
    e-mailed, so a repeated alert e-mails nobody twice."""
    outbox_enqueue(
        task="incidents.tasks.alert_arriving_travellers",
        kwargs={"incident_id": incident.pk},
        key=f"incidents.alert:{incident.pk}:{uuid.uuid4().hex}",
    )


def _reassess_reason(incident: Incident) -> str:
    """Why its trips are re-assessed, in the words the traveller and the managers read."""
    if not incident.is_open:
        return f'The incident "{incident.title}" is over'
    return f"{incident.get_severity_display()} incident: {incident.title}"


def _reassess_touched(incident: Incident, *, before: set[int], reason: str = "") -> None:
    """Re-assess, on a worker once the change commits, the upcoming trips the incident touches
    now and those it touched ``before`` the change (``selectors.incident_trips_touched`` taken
    then): a trip it no longer touches must lose it too. Every write of an incident (declare,
    update, close) ends here, after the incident and its places are saved. Recorded in the
    caller's transaction (core.outbox), so a broker that is down loses no re-assessment."""
    trip_ids = sorted(before | selectors.incident_trips_touched(incident))
    if not trip_ids:
        return
    outbox_enqueue(
        task="trips.tasks.reassess_trips",
        kwargs={"trip_ids": trip_ids, "reason": reason or _reassess_reason(incident)},
        key=f"incidents.reassess:{incident.pk}:{uuid.uuid4().hex}",
    )


def _write(
    *,
    incident: Incident,
    data: IncidentInput,
    country: Country | None,
    places: list[Place],
    by: User | None,
    action: str,
    auto_check: bool = True,
) -> Incident:
    before = _snapshot(incident) if incident.pk else {}
    touched_before = selectors.incident_trips_touched(incident)
    _apply(incident, data, country)
    if incident.pk is None:
        incident.created_by = by if getattr(by, "is_authenticated", False) else None
    incident.save()
    incident.places.set(places)
    after = _snapshot(incident)
    changed = sorted(name for name in after if before.get(name) != after[name]) if before else []
    audit_record(
        actor=by,
        action=action,
        obj=incident,
        details={**after, "changed": changed} if before else after,
    )
    incident_alert_enqueue(incident)
    _reassess_touched(incident, before=touched_before)
    # A critical incident asks everyone there "Are you OK?" by itself (issue 15); a feed's
    # decides itself, only when it touches someone (incidents.feeds.services).
    if auto_check:
        check_start_if_critical(incident=incident, previous_severity=before.get("severity"), by=by)
    return incident


def incident_declare(
    *, data: IncidentInput, by: User | None, auto_check: bool = True
) -> tuple[Incident, bool]:
    """Declare an incident, or update the one a feed declared before with the same source and
    external id (a feed that re-sends never duplicates). Returns the incident and whether it
    is new. ``by`` is None only for the import command and the hazard feeds; ``auto_check``
    off leaves a critical incident's safety check to the caller (a feed starts one only
    when the incident touches someone)."""
    if by is not None and not may_declare(by):
        raise NotAllowed(MAY_NOT_DECLARE)
    country, places = incident_validate(data)
    external_id, source = data.external_id.strip(), data.source.strip()
    for attempt in range(2):
        try:
            with transaction.atomic():
                existing = None
                if external_id:
                    existing = (
                        Incident.objects.select_for_update()
                        .filter(source=source, external_id=external_id)
                        .first()
                    )
                if existing is not None:
                    incident = _write(
                        incident=existing,
                        data=data,
                        country=country,
                        places=places,
                        by=by,
                        action="incident.updated",
                        auto_check=auto_check,
                    )
                    return incident, False
                incident = _write(
                    incident=Incident(),
                    data=data,
                    country=country,
                    places=places,
                    by=by,
                    action="incident.declared",
                    auto_check=auto_check,
                )
                return incident, True
        except IntegrityError:
            # Two deliveries of the same new feed item at once: the other one created it;
            # the second attempt updates it.
            if attempt == 1 or not external_id:
                raise
    raise AssertionError("unreachable")


def incident_update(*, incident: Incident, data: IncidentInput, by: User) -> Incident:
    """Change an incident (an ``ends_on`` closes it)."""
    if not may_declare(by):
        raise NotAllowed(MAY_NOT_DECLARE)
    country, places = incident_validate(data)
    clash = (
        Incident.objects.filter(source=data.source.strip(), external_id=data.external_id.strip())
        .exclude(pk=incident.pk)
        .exclude(external_id="")
        .exists()
    )
    if clash:
        raise InvalidInput(
            {"external_id": ["Another incident of this source has this external id."]}
        )
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        return _write(
            incident=locked,
            data=data,
            country=country,
            places=places,
            by=by,
            action="incident.updated",
        )


ALREADY_CLOSED = "This incident is already closed."


class IncidentClosed(Conflict):
    """Closing an incident that is closed already (409)."""


def incident_close(
    *,
    incident: Incident,
    by: User | None,
    ends_on: dt.date | None = None,
    ip: str | None = None,
) -> Incident:
    """Close an incident as of ``ends_on`` (default today): its end date is set through the
    same write as any change (audited as ``incident.closed``), its open safety check closes
    with it, and every traveller it alerted or its checks asked gets an all-clear e-mail, once,
    from a worker after the commit.

    The end date can be no later than today (an end still to come leaves the incident open:
    that is an edit of its dates) and no earlier than its start (field errors). Closing an
    incident that is closed is an IncidentClosed (409), and e-mails nobody.
    """
    if by is not None and not may_declare(by):
        raise NotAllowed(MAY_NOT_DECLARE)
    today = timezone.localdate()
    ends_on = ends_on or today
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not locked.is_open:
            raise IncidentClosed(ALREADY_CLOSED)
        if ends_on > today:
            raise InvalidInput(
                {
                    "ends_on": [
                        "Close it as of today or an earlier day; to say when it will end, "
                        "edit its end date instead."
                    ]
                }
            )
        if ends_on < locked.starts_on:
            started = written_day(locked.starts_on)
            raise InvalidInput({"ends_on": [f"It started on {started}: it cannot end before."]})
        data = incident_input_of(locked)
        data.ends_on = ends_on
        country, places = incident_validate(data)
        open_check = SafetyCheck.objects.filter(incident=locked, status=CheckStatus.OPEN).first()
        if open_check is not None:
            # A manager closing the check this very moment has done it for us.
            with contextlib.suppress(Conflict):
                check_close(check=open_check, by=by, ip=ip, with_incident=True)
        closed = _write(
            incident=locked,
            data=data,
            country=country,
            places=places,
            by=by,
            action="incident.closed",
        )
        outbox_enqueue(
            task="incidents.tasks.send_all_clear",
            kwargs={"incident_id": closed.pk},
            key=f"incidents.all_clear:{closed.pk}:{uuid.uuid4().hex}",
        )
    return closed


def incident_input_of(incident: Incident) -> IncidentInput:
    """The incident as input, for a PATCH to change some fields and keep the rest."""
    return IncidentInput(
        title=incident.title,
        summary=incident.summary,
        severity=incident.severity,
        category=incident.category,
        country=incident.country_id or "",
        places=[place.name for place in incident.places.all()],
        starts_on=incident.starts_on,
        ends_on=incident.ends_on,
        lookahead_days=incident.lookahead_days,
        source=incident.source,
        external_id=incident.external_id,
        latitude=incident.latitude,
        longitude=incident.longitude,
        radius_km=incident.radius_km,
    )


# --- alerts --------------------------------------------------------------------------------


def _claim_alert(*, incident: Incident, traveller_id: int) -> bool:
    """Take the right to alert this traveller about this incident at its current severity:
    true once per traveller and incident, and once more each time the severity rises. A
    conditional update, so two workers never both claim it."""
    lower = [value for value, rank in SEVERITY_RANK.items() if rank < incident.severity_rank]
    if IncidentAlert.objects.filter(
        incident=incident, traveller_id=traveller_id, severity__in=lower
    ).update(severity=incident.severity):
        return True
    try:
        with transaction.atomic():
            IncidentAlert.objects.create(
                incident=incident, traveller_id=traveller_id, severity=incident.severity
            )
    except IntegrityError:
        return False
    return True


def incident_alert_arriving(*, incident_id: int, on: dt.date | None = None) -> int:
    """E-mail each traveller arriving into an open incident, once (and again when its
    severity rises). Travellers already there are left to the safety check. Returns how many
    were e-mailed; running it twice e-mails nobody twice."""
    incident = Incident.objects.select_related("country").filter(pk=incident_id).first()
    if incident is None or not incident.is_open:
        return 0
    rows = selectors.incident_impacted(incident=incident, on=on)
    there = {row.traveller.pk for row in rows if row.presence == "there"}
    arriving: dict[int, list[selectors.ImpactedRow]] = {}
    for row in rows:
        if row.presence == "arriving" and row.traveller.pk not in there:
            arriving.setdefault(row.traveller.pk, []).append(row)
    sent = 0
    for traveller_id, stops in arriving.items():
        traveller = stops[0].traveller
        if not traveller.email:
            continue
        # The claim and the e-mail succeed or fail together: a mail server that refuses
        # leaves the traveller unclaimed for the next run.
        with transaction.atomic():
            if not _claim_alert(incident=incident, traveller_id=traveller_id):
                continue
            send_templated(
                "incident-alert",
                {"incident": incident, "traveller": traveller, "rows": stops},
                [traveller.email],
            )
            audit_record(
                actor=None,
                action="incident.alert_sent",
                obj=incident,
                details={"traveller": traveller.username, "severity": incident.severity},
            )
        sent += 1
    return sent


def incidents_alert_open(*, on: dt.date | None = None) -> int:
    """The sweep: alert arriving travellers of every open incident (a trip filed after the
    incident was declared is caught here)."""
    day = on or timezone.localdate()
    return sum(
        incident_alert_arriving(incident_id=pk, on=on)
        for pk in Incident.objects.open_on(day).values_list("pk", flat=True)
    )


# --- the all-clear -------------------------------------------------------------------------


def _claim_all_clear(*, incident: Incident, traveller_id: int) -> bool:
    """Take the right to send this traveller this incident's all-clear: true once."""
    try:
        with transaction.atomic():
            IncidentAllClear.objects.create(incident=incident, traveller_id=traveller_id)
    except IntegrityError:
        return False
    return True


def incident_all_clear_send(*, incident_id: int) -> int:
    """E-mail the all-clear of a closed incident to everyone it alerted (arriving
    travellers) or its safety checks asked (those there), once each, however often it runs.
    Nothing goes while the incident is open (reopened before the worker got to it). Returns
    how many were e-mailed."""
    incident = (
        Incident.objects.select_related("country")
        .prefetch_related("places")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None or incident.is_open:
        return 0
    alerted = set(
        IncidentAlert.objects.filter(incident=incident).values_list("traveller_id", flat=True)
    )
    asked = set(
        CheckRecipient.objects.filter(safety_check__incident=incident).values_list(
            "traveller_id", flat=True
        )
    )
    told = set(
        IncidentAllClear.objects.filter(incident=incident).values_list("traveller_id", flat=True)
    )
    travellers = (
        User.objects.filter(pk__in=(alerted | asked) - told, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    sent = 0
    for traveller in travellers:
        # The claim and the e-mail succeed or fail together: a mail server that refuses
        # leaves the traveller unclaimed for the task's retry.
        with transaction.atomic():
            if not _claim_all_clear(incident=incident, traveller_id=traveller.pk):
                continue
            send_templated(
                "incident-all-clear",
                {
                    "incident": incident,
                    "traveller": traveller,
                    "was_asked": traveller.pk in asked,
                },
                [traveller.email],
            )
            audit_record(
                actor=None,
                action="incident.all_clear_sent",
                obj=incident,
                details={"traveller": traveller.username, "asked": traveller.pk in asked},
            )
        sent += 1
    return sent
