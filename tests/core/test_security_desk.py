"""The security desk's 24/7 line: set by superusers in the company settings, shown in every
e-mail and on the dashboard, and numbers everywhere in international form."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from core.company import security_desk
from core.lib.phones import international_phone_problem, phone_display
from core.mail import send_templated
from core.models import AuditEntry, CompanySettings
from tests.factories import TripFactory, UserFactory, employee, logged_in, manager


def set_desk(phone="+44 20 7946 0000", email="desk@example.com") -> None:
    CompanySettings.objects.update_or_create(
        pk=1, defaults={"security_desk_phone": phone, "security_desk_email": email}
    )


# --- numbers ---------------------------------------------------------------------------------


def test_a_domestic_number_is_shown_in_international_form_with_the_local_form_beside_it():
    shown = phone_display("8-717-270-2100", region="KZ")
    assert shown.international == "+7 7172 70 21 00"
    assert shown.local == "8 (7172) 70 21 00"
    assert shown.dial == "+77172702100"
    assert str(shown) == "+7 7172 70 21 00 (locally 8 (7172) 70 21 00)"


def test_a_short_emergency_number_is_said_to_work_only_locally():
    shown = phone_display("102", region="KZ")
    assert shown.is_short and shown.international == ""
    assert str(shown) == "102 (local short number)"


def test_a_number_that_cannot_be_read_is_shown_as_typed():
    assert str(phone_display("ask at reception", region="KZ")) == "ask at reception"
    assert str(phone_display("+44 20 7008 5000", region="KZ")).startswith("+44 20 7008 5000")


def test_the_security_desk_number_must_carry_its_country_code():
    assert international_phone_problem("020 7946 0000")
    assert international_phone_problem("+44 12")
    assert international_phone_problem("+44 20 7946 0000") is None


# --- the admin -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_superuser_sets_the_security_desk_in_the_admin_and_it_is_audited():
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client = logged_in(admin_user)
    listing = client.get(reverse("admin:core_companysettings_changelist"))
    assert listing.status_code == 302
    url = reverse("admin:core_companysettings_change", args=[1])
    response = client.post(
        url, {"security_desk_phone": "+44 20 7946 0000", "security_desk_email": "desk@example.com"}
    )
    assert response.status_code == 302
    assert CompanySettings.current().security_desk_phone == "+44 20 7946 0000"
    entry = AuditEntry.objects.get(action="company_settings.changed")
    assert entry.details["changes"]["security_desk_email"]["to"] == "desk@example.com"


@pytest.mark.django_db
def test_a_domestic_security_desk_number_is_refused_with_a_field_error():
    client = logged_in(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:core_companysettings_change", args=[CompanySettings.current().pk])
    response = client.post(url, {"security_desk_phone": "020 7946 0000"})
    assert response.status_code == 200
    assert "international form" in response.content.decode()
    assert CompanySettings.current().security_desk_phone == ""


@pytest.mark.django_db
def test_a_manager_cannot_change_the_company_settings():
    user = manager(is_staff=True)
    response = logged_in(user).get(reverse("admin:core_companysettings_change", args=[1]))
    assert response.status_code in (302, 403)
    assert (
        not CompanySettings.objects.exists() or CompanySettings.current().security_desk_phone == ""
    )


# --- where it is shown -----------------------------------------------------------------------


@pytest.mark.django_db
def test_every_email_ends_with_the_security_desk():
    set_desk()
    trip = TripFactory(traveller=employee())
    send_templated("trip-reopened", {"trip": trip, "changes": []}, ["a@example.com"])
    message = mail.outbox[-1]
    assert "Security desk, 24 hours a day: +44 20 7946 0000" in message.body
    assert "desk@example.com" in message.body
    html = message.alternatives[0][0]
    assert 'href="tel:+442079460000"' in html and "mailto:desk@example.com" in html


@pytest.mark.django_db
def test_an_email_says_when_no_security_desk_is_set():
    trip = TripFactory(traveller=employee())
    send_templated("trip-reopened", {"trip": trip, "changes": []}, ["a@example.com"])
    assert "no number is set yet" in mail.outbox[-1].body


@pytest.mark.django_db
def test_the_dashboard_gives_the_security_desk():
    set_desk()
    body = logged_in(employee()).get("/").content.decode()
    assert "Security desk, 24 hours a day" in body
    assert "+44 20 7946 0000" in body and "mailto:desk@example.com" in body


@pytest.mark.django_db
def test_the_dashboard_says_when_no_security_desk_is_set():
    body = logged_in(employee()).get("/").content.decode()
    assert "No security desk number has been set yet" in body
    assert security_desk().is_set is False


@pytest.mark.django_db
def test_the_demo_company_has_a_security_desk_and_keeps_one_already_set():
    call_command("loaddemo", "--force", stdout=StringIO())
    assert security_desk().phone.international == "+44 20 7946 0999"
    set_desk(phone="+44 20 7946 0123", email="ours@example.com")
    call_command("loaddemo", "--force", stdout=StringIO())
    assert security_desk().email == "ours@example.com"
