import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.models import AdvisoryVersion, Country, Rule
from advisories.services import advisory_publish
from core import roles
from tests.factories import (
    AdvisoryFactory,
    PlaceFactory,
    SectionFactory,
    content_admin,
    content_pack,
    employee,
    manager,
)


@pytest.fixture
def section():
    advisory = AdvisoryFactory()
    return SectionFactory(
        advisory=advisory,
        key="kz-crime",
        body="Keep **valuables** hidden.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))",
    )


@pytest.fixture
def published(section):
    country = section.advisory.country
    advisory_publish(country=country, by=None, change_note="First", material=False)
    section.heading = "Crime in the old town"
    section.save()
    advisory_publish(country=country, by=None, change_note="Second", material=True)
    return country


def admin_pages(section):
    advisory = section.advisory
    return [
        "/admin/advisories/advisory/",
        f"/admin/advisories/advisory/{advisory.pk}/change/",
        f"/admin/advisories/section/{section.pk}/preview/",
        f"/admin/advisories/advisory/publish/?ids={advisory.pk}",
        "/admin/advisories/advisoryversion/compare/?country=KZ",
        "/admin/advisories/advisory/import-pack/",
        "/admin/advisories/rule/",
        "/admin/advisories/rule/add/",
        "/admin/advisories/place/",
        "/admin/advisories/advisoryversion/",
    ]


@pytest.mark.django_db
def test_a_content_admin_can_open_every_content_admin_page(client, published, section):
    client.force_login(content_admin())
    for url in admin_pages(section):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_user", [employee, manager, None], ids=["employee", "manager", "anon"]
)
def test_employees_managers_and_anonymous_users_never_reach_the_content_admin(
    client, published, section, make_user
):
    if make_user:
        client.force_login(make_user())
    urls = [*admin_pages(section), "/admin/"]
    for url in urls:
        response = client.get(url)
        if make_user is None:
            # Anonymous visitors go to the login form.
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url
        elif make_user is manager and url == "/admin/":
            # Managers are staff: they read the audit trail and trips there...
            assert response.status_code == 200
        else:
            # ...but are forbidden the content; a signed-in employee is forbidden it all
            # (contracts.md: a page of another role is 403, not a login form).
            assert response.status_code == 403, url


@pytest.mark.django_db
def test_a_staff_member_without_the_content_admin_role_is_forbidden(client, published, section):
    user = manager()
    user.is_staff = True
    user.save()
    client.force_login(user)
    for url in admin_pages(section):
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_a_manager_cannot_publish_even_by_posting(client, section):
    client.force_login(manager())
    response = client.post(
        f"/admin/advisories/advisory/publish/?ids={section.advisory.pk}",
        {"ids": section.advisory.pk, "change_note": "x", "material": "on"},
    )
    assert response.status_code == 403
    assert not AdvisoryVersion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "unpublished=yes",
        "level__exact=2",
        "sections__topic__exact=crime",
        "country__code__exact=KZ",
        "q=kazakh",
    ],
)
def test_the_advisory_list_filters_and_searches(client, section, query):
    client.force_login(content_admin())
    response = client.get(f"/admin/advisories/advisory/?{query}")
    assert response.status_code == 200
    assert "Kazakhstan" in response.content.decode()


@pytest.mark.django_db
def test_the_unpublished_changes_filter_tells_drafts_from_published(client, published):
    client.force_login(content_admin())
    assert (
        "Kazakhstan"
        not in client.get("/admin/advisories/advisory/?unpublished=yes")
        .context["cl"]
        .result_list[:1]
        .__repr__()
    )
    assert (
        len(client.get("/admin/advisories/advisory/?unpublished=no").context["cl"].result_list) == 1
    )
    published.advisory.level = 5
    published.advisory.save()
    assert (
        len(client.get("/admin/advisories/advisory/?unpublished=yes").context["cl"].result_list)
        == 1
    )


@pytest.mark.django_db
def test_the_section_preview_is_rendered_and_sanitised(client, section):
    client.force_login(content_admin())
    html = client.get(f"/admin/advisories/section/{section.pk}/preview/").content.decode()
    assert "<strong>valuables</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert 'href="javascript' not in html


@pytest.mark.django_db
def test_the_change_page_links_to_the_preview(client, section):
    client.force_login(content_admin())
    html = client.get(f"/admin/advisories/section/{section.pk}/change/").content.decode()
    assert f"/admin/advisories/section/{section.pk}/preview/" in html


@pytest.mark.django_db
def test_publishing_from_the_admin_asks_for_a_note_then_publishes(client, section):
    editor = content_admin()
    client.force_login(editor)
    url = f"/admin/advisories/advisory/publish/?ids={section.advisory.pk}"
    form_page = client.get(url)
    assert "change_note" in form_page.content.decode()
    no_note = client.post(url, {"ids": section.advisory.pk, "change_note": ""})
    assert no_note.status_code == 200
    assert not AdvisoryVersion.objects.exists()
    response = client.post(
        url, {"ids": section.advisory.pk, "change_note": "First edition", "material": "on"}
    )
    assert response.status_code == 302
    version = AdvisoryVersion.objects.get()
    assert (version.number, version.material, version.published_by) == (1, True, editor)


@pytest.mark.django_db
def test_publishing_unchanged_content_from_the_admin_says_so(client, published):
    client.force_login(content_admin())
    response = client.post(
        f"/admin/advisories/advisory/publish/?ids={published.advisory.pk}",
        {"ids": published.advisory.pk, "change_note": "Again"},
        follow=True,
    )
    assert "Nothing changed in Kazakhstan since version 2" in response.content.decode()
    assert AdvisoryVersion.objects.count() == 2


@pytest.mark.django_db
def test_the_publish_action_leads_to_the_publish_form(client, section):
    client.force_login(content_admin())
    response = client.post(
        "/admin/advisories/advisory/",
        {"action": "publish_selected", "_selected_action": [section.advisory.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/admin/advisories/advisory/publish/?ids={section.advisory.pk}"


@pytest.mark.django_db
def test_versions_are_read_only(client, published):
    client.force_login(content_admin())
    version = AdvisoryVersion.objects.get(number=1)
    page = client.get(f"/admin/advisories/advisoryversion/{version.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        client.post(f"/admin/advisories/advisoryversion/{version.pk}/change/", {}).status_code
        == 403
    )
    assert client.get(f"/admin/advisories/advisoryversion/{version.pk}/delete/").status_code == 403
    assert client.get("/admin/advisories/advisoryversion/add/").status_code == 403
    version.refresh_from_db()
    assert version.change_note == "First"


@pytest.mark.django_db
def test_the_history_lists_a_countrys_versions_and_compares_two(client, published):
    client.force_login(content_admin())
    history = client.get("/admin/advisories/advisoryversion/?country__code__exact=KZ")
    assert len(history.context["cl"].result_list) == 2
    diff = client.get("/admin/advisories/advisoryversion/compare/?country=kz&from=1&to=2")
    html = diff.content.decode()
    assert diff.status_code == 200
    # The changed section on its own, its heading marked word by word in two columns.
    assert "Section: Crime in the old town" in html
    old_heading = html.split('<td class="word-diff-old">Heading: Crime ')[1].split("</td>")[0]
    new_heading = html.split('<td class="word-diff-new">Heading: Crime ')[1].split("</td>")[0]
    assert "<del>note" in old_heading and "<ins>" not in old_heading
    assert "<ins>in" in new_heading and "town</ins>" in new_heading and "<del>" not in new_heading
    assert "version 1" in html and "version 2" in html


@pytest.mark.django_db
def test_comparing_an_unknown_version_is_a_404(client, published):
    client.force_login(content_admin())
    assert (
        client.get("/admin/advisories/advisoryversion/compare/?country=KZ&to=9").status_code == 404
    )
    assert client.get("/admin/advisories/advisoryversion/compare/?country=FR").status_code == 404


def rule_post(**overrides):
    data = {
        "country": "KZ",
        "key": "kz-registration",
        "kind": "registration",
        "title": "Register",
        "detail": "",
        "threshold_days": "",
        "deadline_days": "5",
        "deadline_unit": "calendar",
        "nationalities": None,  # a multiple choice: nothing chosen sends nothing
        "max_days": "",
        "exempt_visa_categories": "",
        "exempt_under_age": "",
        "valid_from": "",
        "valid_until": "",
        "authority": "",
        "citation": "",
        "source": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({}, "threshold_days", "Is required for a registration rule."),
        (
            {"threshold_days": "5", "valid_from": "2026-05-01", "valid_until": "2026-04-01"},
            "valid_until",
            "Is before valid_from.",
        ),
        ({"kind": "permit", "deadline_days": ""}, "places", "Is required for a permit rule."),
        (
            {"kind": "activity", "deadline_days": ""},
            "activities",
            "Is required for a activity rule.",
        ),
        (
            {
                "kind": "visa_free",
                "deadline_days": "",
                "nationalities": ["GB", "XX"],
                "max_days": "30",
            },
            "nationalities",
            "Select a valid choice. XX is not one of the available choices.",
        ),
        ({"kind": "transit", "deadline_days": ""}, "max_days", "Is required for a transit rule."),
        (
            {"kind": "transit", "max_days": "3"},
            "deadline_days",
            "Is not used by a transit rule; leave it empty.",
        ),
        ({"threshold_days": "5", "exempt_passport_types": "alien"}, "exempt_passport_types", None),
    ],
)
def test_the_admin_refuses_an_invalid_rule_with_a_field_error(client, overrides, field, message):
    client.force_login(content_admin())
    response = client.post("/admin/advisories/rule/add/", rule_post(**overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    if message:
        assert message in errors[field]
    assert not Rule.objects.exists()


@pytest.mark.django_db
def test_the_admin_saves_a_valid_rule(client):
    client.force_login(content_admin())
    baikonur = PlaceFactory(name="Baikonur", kind="closed_area")
    response = client.post(
        "/admin/advisories/rule/add/",
        rule_post(
            kind="permit",
            key="kz-permit",
            deadline_days="",
            places=[baikonur.pk],
            exempt_passport_types=["diplomatic"],
            exempt_visa_categories="official, investor",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = Rule.objects.get(key="kz-permit")
    assert list(rule.places.all()) == [baikonur]
    assert rule.exempt_passport_types == ["diplomatic"]
    assert rule.exempt_visa_categories == ["official", "investor"]


@pytest.mark.django_db
def test_a_rule_cannot_name_a_place_of_another_country(client):
    client.force_login(content_admin())
    samarkand = PlaceFactory(name="Samarkand", country=Country.objects.get(code="UZ"))
    response = client.post(
        "/admin/advisories/rule/add/",
        rule_post(kind="permit", deadline_days="", places=[samarkand.pk]),
    )
    assert (
        "Not places of Kazakhstan: Samarkand."
        in response.context["adminform"].form.errors["places"]
    )


@pytest.mark.django_db
def test_the_rule_form_shows_what_each_kind_needs(client):
    client.force_login(content_admin())
    html = client.get("/admin/advisories/rule/add/").content.decode()
    assert "threshold_days, deadline_days" in html
    assert "re_registration" in html


@pytest.mark.django_db
def test_places_are_found_in_the_admin_by_alias(client):
    from tests.factories import PlaceAliasFactory

    PlaceAliasFactory(place=PlaceFactory(name="Almaty"), name="Алматы")
    client.force_login(content_admin())
    response = client.get("/admin/advisories/place/?q=АЛМАТЫ")
    assert [p.name for p in response.context["cl"].result_list] == ["Almaty"]


def upload(client, pack, draft=False):
    data = {"pack": SimpleUploadedFile("pack.json", json.dumps(pack).encode(), "application/json")}
    if draft:
        data["draft"] = "on"
    return client.post("/admin/advisories/advisory/import-pack/", data)


@pytest.mark.django_db
def test_a_content_admin_uploads_a_pack_that_is_previewed_then_imported_and_published(client):
    client.force_login(content_admin())
    response = upload(client, content_pack("MN"))
    assert response.status_code == 302
    assert not AdvisoryVersion.objects.exists()  # previewed first
    preview = client.get(response["Location"])
    state = preview.context["form"]["state"].value()
    assert client.post(response["Location"], {"state": state}).status_code == 302
    assert Country.objects.get(code="MN").published.number == 1


@pytest.mark.django_db
def test_an_uploaded_pack_with_errors_is_refused_with_their_paths(client):
    client.force_login(content_admin())
    pack = content_pack("MN")
    pack["countries"][0]["rules"][0]["kind"] = "visa_free_x"
    pack["countries"][0]["rules"][0].pop("threshold_days")
    response = upload(client, pack)
    html = response.content.decode()
    assert response.status_code == 200
    assert "countries[0].rules[0].kind: unknown kind &quot;visa_free_x&quot;" in html
    assert not AdvisoryVersion.objects.exists()
    assert not Rule.objects.exists()


@pytest.mark.django_db
def test_an_uploaded_file_that_is_not_json_is_refused(client):
    client.force_login(content_admin())
    response = client.post(
        "/admin/advisories/advisory/import-pack/",
        {"pack": SimpleUploadedFile("pack.json", b"{not json", "application/json")},
    )
    assert response.status_code == 200
    assert "Not a JSON file" in response.content.decode()


@pytest.mark.django_db
def test_the_content_admin_group_exists_with_publish_permission():
    group = Group.objects.get(name=roles.CONTENT_ADMIN)
    assert group.permissions.filter(codename="publish_advisory").exists()


def advisory_post(advisory, **overrides):
    sections = advisory.sections.count()
    return {
        "country": advisory.country_id,
        "level": "3",
        "summary": "Take extra care.",
        "sections-TOTAL_FORMS": str(sections),
        "sections-INITIAL_FORMS": str(sections),
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
        **{
            f"sections-{i}-id": pk
            for i, pk in enumerate(
                advisory.sections.order_by("order", "key").values_list("pk", flat=True)
            )
        },
        **{f"sections-{i}-advisory": advisory.pk for i in range(sections)},
        **overrides,
    }


@pytest.mark.django_db
def test_the_advisory_page_lists_sections_one_line_each_with_a_link_to_edit_one(client, section):
    client.force_login(content_admin())
    advisory = section.advisory
    almaty = PlaceFactory(name="Almaty")
    section.places.add(almaty)
    page = client.get(f"/admin/advisories/advisory/{advisory.pk}/change/").content.decode()
    assert section.heading in page and "Almaty" in page
    assert f'href="/admin/advisories/section/{section.pk}/change/' in page
    assert 'name="sections-0-body"' not in page  # no section is edited in place
    assert f'href="/admin/advisories/section/add/?advisory={advisory.pk}"' in page

    response = client.post(
        f"/admin/advisories/advisory/{advisory.pk}/change/", advisory_post(advisory)
    )
    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.level == 3 and advisory.summary == "Take extra care."


@pytest.mark.django_db
def test_a_section_is_edited_on_its_own_page_and_saving_returns_to_its_advisory(client, section):
    client.force_login(content_admin())
    almaty = PlaceFactory(name="Almaty")
    response = client.post(
        f"/admin/advisories/section/{section.pk}/change/",
        {
            "advisory": section.advisory_id,
            "key": "kz-crime",
            "topic": "crime",
            "order": "0",
            "heading": "Night-time robberies",
            "body": "Take a registered taxi.",
            "level": "3",
            "source": "",
            "places": [almaty.pk],
            "months": ["6", "7"],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == f"/admin/advisories/advisory/{section.advisory_id}/change/"
    section.refresh_from_db()
    assert (section.heading, section.months) == ("Night-time robberies", [6, 7])
    assert list(section.places.all()) == [almaty]


@pytest.mark.django_db
def test_saving_an_advisory_takes_the_same_queries_with_two_or_twenty_two_sections(client):
    client.force_login(content_admin())
    counts = []
    for size in (2, 22):
        advisory = AdvisoryFactory(country=Country.objects.get(code="KZ" if size == 2 else "UZ"))
        for n in range(size):
            SectionFactory(advisory=advisory, key=f"s-{size}-{n}", order=n)
            advisory.sections.last().places.add(PlaceFactory(country=advisory.country))
        data = advisory_post(advisory)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"/admin/advisories/advisory/{advisory.pk}/change/", data)
        assert response.status_code == 302
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as page_queries:
            assert (
                client.get(f"/admin/advisories/advisory/{advisory.pk}/change/").status_code == 200
            )
        counts.append(len(page_queries))
    save_small, page_small, save_large, page_large = counts
    assert save_large == save_small
    assert page_large == page_small


@pytest.mark.django_db
def test_an_emergency_contact_must_be_for_a_place_of_its_country(client):
    client.force_login(content_admin())
    samarkand = PlaceFactory(name="Samarkand", country=Country.objects.get(code="UZ"))
    response = client.post(
        "/admin/advisories/emergencycontact/add/",
        {"country": "KZ", "place": samarkand.pk, "label": "Police", "number": "102"},
    )
    assert response.status_code == 200
    assert "place" in response.context["adminform"].form.errors


# --- widgets, not JSON -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_advisory_page_shows_working_days_as_date_boxes_and_saves_them_as_a_list(
    client, section
):
    client.force_login(content_admin())
    advisory = section.advisory
    advisory.non_working_days = ["2027-07-09"]
    advisory.save()
    url = f"/admin/advisories/advisory/{advisory.pk}/change/"
    page = client.get(url).content.decode()
    assert '<input type="date" name="non_working_days" value="2027-07-09"' in page
    assert page.count('name="working_days"') == 2  # two empty boxes to add dates
    assert "[&quot;2027-07-09&quot;]" not in page and ">[]<" not in page
    # The action links sit on their own row under the heading (portal/admin.css).
    assert "portal/admin.css" in page

    response = client.post(
        url,
        {
            **advisory_post(advisory),
            "non_working_days": ["2027-07-09", "", "2027-07-08"],
            "working_days": ["2027-07-17", ""],
        },
    )
    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.non_working_days == ["2027-07-08", "2027-07-09"]
    assert advisory.working_days == ["2027-07-17"]


@pytest.mark.django_db
def test_a_date_box_that_is_not_a_date_is_a_field_error(client, section):
    client.force_login(content_admin())
    advisory = section.advisory
    response = client.post(
        f"/admin/advisories/advisory/{advisory.pk}/change/",
        {**advisory_post(advisory), "working_days": ["2027-02-30"]},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["working_days"] == [
        "Not a date: 2027-02-30. Pick one, or write it as YYYY-MM-DD."
    ]
    advisory.refresh_from_db()
    assert advisory.working_days == []


@pytest.mark.django_db
def test_rule_nationalities_are_picked_from_countries_by_name(client):
    client.force_login(content_admin())
    response = client.post(
        "/admin/advisories/rule/add/",
        rule_post(
            kind="visa_free",
            key="kz-visa-free",
            deadline_days="",
            max_days="30",
            nationalities=["GB", "US"],
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = Rule.objects.get(key="kz-visa-free")
    assert rule.nationalities == ["GB", "US"]
    page = client.get(f"/admin/advisories/rule/{rule.pk}/change/").content.decode()
    picker = page.split('name="nationalities"')[1].split("</select>")[0]
    assert '<option value="GB" selected>United Kingdom</option>' in picker
    assert '<option value="FR">France</option>' in picker
    assert "[&quot;GB&quot;" not in page


@pytest.mark.django_db
def test_an_emergency_contacts_nationalities_are_picked_from_countries(client):
    from advisories.models import EmergencyContact

    client.force_login(content_admin())
    response = client.post(
        "/admin/advisories/emergencycontact/add/",
        {
            "country": "KZ",
            "label": "British Embassy",
            "number": "+7 7172 55 62 00",
            "nationalities": ["GB"],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact = EmergencyContact.objects.get()
    assert contact.nationalities == ["GB"]
    page = client.get(f"/admin/advisories/emergencycontact/{contact.pk}/change/").content.decode()
    assert '<option value="GB" selected>United Kingdom</option>' in page


@pytest.mark.django_db
def test_a_refused_pack_counts_its_errors_in_the_singular_and_the_plural():
    from advisories.forms import PackUploadForm
    from advisories.packs import pack_validate

    def refusal(pack):
        blob = SimpleUploadedFile("pack.json", json.dumps(pack).encode(), "application/json")
        form = PackUploadForm(data={}, files={"pack": blob})
        assert not form.is_valid()
        return form.errors["pack"][0]

    pack = content_pack("MN")
    pack["countries"][0]["advisory"]["level"] = 9
    assert refusal(pack) == "The pack was refused (1 error); nothing was written."
    pack["countries"][0]["rules"][0]["kind"] = "visa_free_x"
    count = len(pack_validate(pack))
    assert count > 1
    assert refusal(pack) == f"The pack was refused ({count} errors); nothing was written."


@pytest.mark.django_db
def test_the_document_import_picks_its_country_with_the_portals_type_ahead(client):
    client.force_login(content_admin())
    page = client.get("/admin/advisories/import-document/").content.decode()
    country = page.split('<select name="country"')[1].split(">")[0]
    assert "data-combobox" in country
    assert "portal/combobox.js" in page and "portal/combobox.css" in page
