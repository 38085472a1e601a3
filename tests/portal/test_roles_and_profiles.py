import pytest
from django.contrib.auth.models import Group, User

from portal import roles
from portal.models import TravellerProfile
from tests.factories import employee, manager


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
    assert ("portal", "view_auditentry") in perms
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
    assert ("portal", "change_auditentry") not in perms
    assert ("portal", "delete_auditentry") not in perms


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
