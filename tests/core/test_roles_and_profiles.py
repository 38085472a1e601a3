import pytest
from django.contrib.auth.models import Group, User

from core import roles
from core.models import TravellerProfile
from tests.factories import TripFactory, api_as, content_admin, employee, manager, without_role
from trips.models import Trip


@pytest.mark.django_db
def test_the_four_roles_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)


@pytest.mark.django_db
def test_security_managers_can_read_the_audit_trail_and_decide_on_trips():
    perms = set(
        Group.objects.get(name=roles.MANAGER).permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    assert ("core", "view_auditentry") in perms
    assert ("trips", "decide_trip") in perms
    assert not any(app == "advisories" for app, _ in perms)


@pytest.mark.django_db
def test_content_admins_curate_content_and_publish_but_cannot_change_the_audit_trail():
    perms = set(
        Group.objects.get(name=roles.CONTENT_ADMIN).permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    assert ("advisories", "change_rule") in perms
    assert ("advisories", "publish_advisory") in perms
    assert ("core", "change_auditentry") not in perms
    assert ("core", "delete_auditentry") not in perms


@pytest.mark.django_db
def test_employees_have_no_admin_permissions():
    assert not Group.objects.get(name=roles.EMPLOYEE).permissions.exists()


@pytest.mark.django_db
def test_every_new_user_gets_a_traveller_profile():
    user = User.objects.create_user("newcomer", password="pw-12345-long")
    profile = TravellerProfile.objects.get(user=user)
    assert profile.passport_type == "ordinary"
    assert profile.nationality == ""


@pytest.mark.django_db
def test_roles_are_read_from_the_groups():
    assert roles.is_manager(manager())
    assert not roles.is_manager(employee())


# --- users with no role ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_has_a_role_in_the_portal_only_through_a_group_or_as_superuser():
    assert roles.has_portal_role(employee())
    assert roles.has_portal_role(content_admin())
    assert not roles.has_portal_role(without_role())
    assert roles.has_portal_role(without_role(is_superuser=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/me/"),
        ("patch", "/api/me/"),
        ("get", "/api/trips/"),
        ("post", "/api/trips/"),
        ("get", "/api/trips/{trip}/"),
        ("post", "/api/trips/{trip}/submit/"),
        ("post", "/api/trips/{trip}/cancel/"),
        ("get", "/api/countries/"),
        ("get", "/api/activities/"),
        ("get", "/api/approvals/"),
    ],
)
def test_a_user_with_no_role_is_refused_by_the_api(method, path):
    user = without_role()
    trip = TripFactory(traveller=user)
    response = getattr(api_as(user), method)(path.format(trip=trip.pk), {}, format="json")
    assert response.status_code == 403
    if "approvals" not in path:
        assert response.json() == {
            "detail": "You have no role in the portal: ask an administrator to give you one."
        }
    trip.refresh_from_db()
    assert trip.status == "draft"
    assert Trip.objects.count() == 1


@pytest.mark.django_db
def test_a_superuser_without_a_group_still_uses_the_api():
    client = api_as(without_role(is_superuser=True))
    assert client.get("/api/me/").json()["roles"] == []
    assert client.get("/api/trips/").status_code == 200


@pytest.mark.django_db
def test_a_date_of_birth_in_the_future_is_a_field_error_and_nothing_is_saved():
    from tests.factories import api_as, employee

    user = employee()
    api = api_as(user)
    response = api.patch(
        "/api/me/",
        {"profile": {"date_of_birth": "3000-01-01", "phone": "+1 555 0100"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"date_of_birth": ["A date of birth cannot be in the future."]}
    user.profile.refresh_from_db()
    assert (user.profile.date_of_birth, user.profile.phone) == (None, "")
