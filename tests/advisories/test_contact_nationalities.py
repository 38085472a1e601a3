"""An emergency contact may serve only some passports (an embassy): the pack carries its
`nationalities`, checked, imported, published and exported unchanged."""

import copy

import pytest
from django.core.exceptions import ValidationError

from advisories.models import EmergencyContact
from advisories.packs import PackError, pack_export, pack_import, pack_validate
from tests.advisories.helpers import content_of
from tests.briefings.content import publish_kz
from tests.factories import content_pack, country, employee, logged_in

pytestmark = pytest.mark.django_db


def pack_with_contacts(*contacts: dict) -> dict:
    pack = content_pack("MN")
    pack["countries"][0]["emergency_contacts"] = list(contacts)
    return pack


EMBASSY = {
    "label": "British Embassy",
    "number": "+976 11 458 133",
    "place": None,
    "nationalities": ["GB"],
}


def test_a_contact_s_nationalities_must_be_known_country_codes_named_once():
    pack = pack_with_contacts(
        {**EMBASSY, "nationalities": ["GB", "XX"]},
        {**EMBASSY, "nationalities": "GB"},
        {**EMBASSY, "nationalities": ["GB", "GB"]},
    )
    errors = pack_validate(pack)
    assert "countries[0].emergency_contacts[0].nationalities: unknown country code(s): XX" in errors
    assert (
        "countries[0].emergency_contacts[1].nationalities: must be a list of ISO country codes"
        in errors
    )
    assert "countries[0].emergency_contacts[2].nationalities: lists a country twice" in errors
    with pytest.raises(PackError):
        pack_import(pack)
    assert not EmergencyContact.objects.exists()


def test_nationalities_are_imported_published_and_exported_unchanged():
    police = {"label": "Police", "number": "102", "place": None}
    pack_import(pack_with_contacts(EMBASSY, police))
    assert EmergencyContact.objects.get(label="British Embassy").nationalities == ["GB"]
    exported = pack_export()
    assert exported["countries"][0]["emergency_contacts"] == [EMBASSY, police]
    again = pack_import(copy.deepcopy(exported))
    assert again.published == []
    assert content_of(pack_export()) == content_of(exported)


def test_changing_who_an_embassy_serves_publishes_a_new_version():
    pack_import(pack_with_contacts(EMBASSY))
    report = pack_import(pack_with_contacts({**EMBASSY, "nationalities": ["GB", "IE"]}))
    assert report.published == [("MN", 2)]
    assert EmergencyContact.objects.get().nationalities == ["GB", "IE"]


def test_the_admin_refuses_an_unknown_nationality_on_a_contact():
    contact = EmergencyContact(
        country=country("MN"), label="Embassy", number="+976 11 458 133", nationalities=["ZZ"]
    )
    with pytest.raises(ValidationError) as error:
        contact.full_clean()
    assert "nationalities" in error.value.message_dict


def test_the_destination_guide_shows_an_embassy_to_its_own_nationals_only_and_first():
    publish_kz()
    british = employee()
    british.profile.nationality = "GB"
    british.profile.save()
    page = logged_in(british).get("/destinations/KZ/").content.decode()
    contacts = page.split('id="contacts"')[1].split("</section>")[0]
    assert contacts.index("British Embassy Astana") < contacts.index("Police")
    assert "US Embassy" not in contacts
    assert 'href="tel:+77172556200"' in contacts and "(locally 8 (7172) 55 62 00)" in contacts

    french = employee()
    french.profile.nationality = "FR"
    french.profile.save()
    other = logged_in(french).get("/destinations/KZ/").content.decode()
    others = other.split('id="contacts"')[1].split("</section>")[0]
    assert "British Embassy" not in others and "US Embassy" not in others
    assert "Police" in others
