"""The trips in the admin: the approval policy as a single audited setting, and trips read-only
for security managers."""

import pytest

from core.models import AuditEntry
from tests.factories import content_admin, employee, logged_in, manager
from tests.trips.helpers import file_trip
from trips.models import ApprovalPolicy

pytestmark = pytest.mark.django_db


def policy_form(**overrides):
    data = {
        "threshold_level": "3",
        "closed_area_needs_approval": "on",
        "permit_needs_approval": "on",
        "unknown_risk_needs_approval": "on",
        "dual_approval_level": "5",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_policy_list_leads_to_the_one_policy_with_the_product_defaults():
    client = logged_in(manager())
    response = client.get("/admin/trips/approvalpolicy/", follow=True)
    assert response.status_code == 200
    policy = ApprovalPolicy.current()
    assert response.redirect_chain[-1][0] == f"/admin/trips/approvalpolicy/{policy.pk}/change/"
    assert (policy.threshold_level, policy.dual_approval_level) == (3, 5)
    assert policy.closed_area_needs_approval and policy.unknown_risk_needs_approval
    assert client.get("/admin/trips/approvalpolicy/add/").status_code == 403
    assert client.get(f"/admin/trips/approvalpolicy/{policy.pk}/delete/").status_code == 403


def superuser():
    from django.contrib.auth.models import User

    return User.objects.create_superuser("root", "root@example.org", "x")


def test_managers_read_the_policy_but_cannot_change_it():
    # A manager who travels could lower the threshold and have their own trip approved.
    policy = ApprovalPolicy.current()
    client = logged_in(manager())
    page = client.get(f"/admin/trips/approvalpolicy/{policy.pk}/change/")
    assert page.status_code == 200
    assert 'name="threshold_level"' not in page.content.decode()
    response = client.post(
        f"/admin/trips/approvalpolicy/{policy.pk}/change/", policy_form(threshold_level="5")
    )
    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.threshold_level == 3


def test_a_superuser_changes_the_policy_and_the_change_is_audited():
    boss = superuser()
    policy = ApprovalPolicy.current()
    response = logged_in(boss).post(
        f"/admin/trips/approvalpolicy/{policy.pk}/change/",
        policy_form(threshold_level="4", permit_needs_approval=None),
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.threshold_level, policy.permit_needs_approval) == (4, False)
    entry = AuditEntry.objects.get(action="approval_policy.changed")
    assert entry.actor == boss
    assert entry.details["changes"]["threshold_level"] == {"from": 3, "to": 4}
    assert entry.details["changes"]["permit_needs_approval"] == {"from": True, "to": False}


def test_an_out_of_range_threshold_is_a_field_error_and_nothing_changes():
    policy = ApprovalPolicy.current()
    response = logged_in(superuser()).post(
        f"/admin/trips/approvalpolicy/{policy.pk}/change/", policy_form(threshold_level="9")
    )
    assert response.status_code == 200
    assert "threshold_level" in response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert policy.threshold_level == 3
    assert not AuditEntry.objects.filter(action="approval_policy.changed").exists()


def test_managers_read_trips_in_the_admin_but_cannot_change_them(catalogue):
    trip = file_trip(employee())
    client = logged_in(manager())
    listing = client.get("/admin/trips/trip/?q=Plant")
    assert listing.status_code == 200 and "Plant audit" in listing.content.decode()
    page = client.get(f"/admin/trips/trip/{trip.pk}/change/")
    assert page.status_code == 200
    assert 'name="purpose"' not in page.content.decode()
    posted = client.post(f"/admin/trips/trip/{trip.pk}/change/", {"purpose": "Changed"})
    assert posted.status_code == 403
    trip.refresh_from_db()
    assert trip.purpose == "Plant audit"


def test_content_admins_do_not_see_trips_or_the_policy():
    client = logged_in(content_admin())
    assert client.get("/admin/trips/trip/").status_code == 403
    assert client.get("/admin/trips/approvalpolicy/").status_code == 403
