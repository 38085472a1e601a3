"""Phones people type are checked with libphonenumber (`phonenumbers`): a traveller's own and
their emergency contact's (stored in international form, as a manager dials them from
anywhere), and the curated emergency numbers of a country (in its numbering plan, short
numbers included), in the profile page, the API, the admin and content packs alike."""

import pytest
from django.core.exceptions import ValidationError

from advisories.models import Country, EmergencyContact
from advisories.pack_validation import pack_validate
from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_profile_phone_typed_as_dialled_at_home_is_stored_in_international_form(api):
    user = UserFactory()
    user.profile.nationality = "GB"
    user.profile.save()
    api.force_authenticate(user)

    response = api.patch("/api/me/", {"profile": {"phone": "07911 123456"}}, format="json")

    assert response.status_code == 200, response.content
    user.profile.refresh_from_db()
    assert user.profile.phone == "+44 7911 123456"


@pytest.mark.django_db
def test_a_profile_phone_that_is_not_a_number_is_a_field_error_and_nothing_is_saved(api):
    user = UserFactory()
    user.profile.phone = "+44 7700 900123"
    user.profile.save()
    api.force_authenticate(user)

    response = api.patch(
        "/api/me/",
        {"profile": {"phone": "+44 12", "emergency_contact_phone": "call my mum"}},
        format="json",
    )

    assert response.status_code == 400
    body = str(response.json())
    assert "phone" in body and "emergency_contact_phone" in body
    user.profile.refresh_from_db()
    assert user.profile.phone == "+44 7700 900123"


@pytest.mark.django_db
def test_the_profile_page_refuses_a_bad_emergency_contact_phone_with_a_field_error(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/profile/",
        {
            "nationality": "GB",
            "passport_type": "ordinary",
            "phone": "+44 7700 900123",
            "emergency_contact_name": "Sam",
            "emergency_contact_phone": "12",
        },
    )

    assert response.status_code == 400
    assert "emergency_contact_phone" in response.context["form"].errors
    user.profile.refresh_from_db()
    assert user.profile.emergency_contact_phone == ""


@pytest.mark.django_db
def test_an_emergency_contact_number_must_be_dialable_in_its_country():
    kazakhstan = Country.objects.get(code="KZ")
    for good in ("112", "102", "109", "8-717-270-2100", "+44 20 7008 5000"):
        EmergencyContact(country=kazakhstan, label="Police", number=good).full_clean()
    with pytest.raises(ValidationError) as refused:
        EmergencyContact(country=kazakhstan, label="Police", number="call the hotel").full_clean()
    assert "number" in refused.value.message_dict


@pytest.mark.django_db
def test_a_content_pack_with_an_undialable_emergency_number_names_its_path():
    pack = {
        "format": "travel-risk-content/1",
        "countries": [
            {
                "code": "KZ",
                "emergency_contacts": [
                    {"label": "Police", "number": "102"},
                    {"label": "Embassy", "number": "+7 12"},
                ],
            }
        ],
    }

    errors = pack_validate(pack)

    assert any("countries[0].emergency_contacts[1].number" in error for error in errors), errors
    assert not any("emergency_contacts[0]" in error for error in errors)
