from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from advisories.models import Advisory, AdvisoryVersion, Country, Section, Source
from tests.factories import AdvisoryFactory, content_admin, employee, manager

# GOV.UK-style travel advice written for the tests (tests/fixtures/documents/)
UK_ADVICE = Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "fcdo_staying_safe.txt"
URL = "/admin/advisories/import-document/"

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "advice.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


def preview(client, data: bytes, **extra):
    return client.post(
        URL,
        {"action": "preview", "document": upload(data), "country": "KZ", "fmt": "auto", **extra},
    )


def token_of(response) -> str:
    """The kept preview's token, as the preview page's import form carries it."""
    return response.context["import_form"]["token"].value()


def test_the_url_is_named():
    assert reverse("admin-import-document") == URL


def test_a_content_admin_sees_the_upload_form(client):
    client.force_login(content_admin())
    response = client.get(URL)
    assert response.status_code == 200
    assert b'name="document"' in response.content


def test_a_preview_shows_the_sections_and_writes_nothing(client):
    client.force_login(content_admin())
    response = preview(client, UK_ADVICE.read_bytes())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Terrorism" in html
    assert "Earthquakes" in html
    assert "natural_hazards" in html
    assert 'value="import"' in html
    assert not Section.objects.exists()
    assert not Source.objects.exists()


def test_a_preview_sanitises_the_section_bodies(client):
    client.force_login(content_admin())
    doc = b"# Advice\n\n## Terrorism\n\nBe alert. <script>alert(1)</script>\n"
    response = preview(client, doc, fmt="plain")
    assert response.status_code == 200
    assert b"<script>alert(1)" not in response.content


def test_an_import_after_a_preview_creates_drafts_and_publishes_nothing(client):
    user = content_admin()
    client.force_login(user)
    token = token_of(preview(client, UK_ADVICE.read_bytes()))
    response = client.post(URL, {"action": "import", "token": token, "level": "2"})
    sections = Section.objects.filter(advisory__country_id="KZ")
    assert sections.filter(heading="Terrorism", topic="terrorism").exists()
    assert sections.filter(heading="Earthquakes").exists()
    advisory = sections.first().advisory
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:advisories_advisory_change", args=[advisory.pk])
    assert not AdvisoryVersion.objects.exists()
    followed = client.get(response["Location"])
    assert "draft section" in followed.content.decode()


def test_an_import_without_a_level_for_a_new_advisory_is_a_form_error(client):
    client.force_login(content_admin())
    token = token_of(preview(client, UK_ADVICE.read_bytes()))
    response = client.post(URL, {"action": "import", "token": token})
    assert response.status_code == 200
    assert "no advisory yet" in response.content.decode()
    assert not Section.objects.exists()


def test_an_import_without_a_preview_writes_nothing(client):
    client.force_login(content_admin())
    response = client.post(URL, {"action": "import", "country": "KZ", "fmt": "auto", "level": "2"})
    assert response.status_code == 200
    assert "preview it before importing" in response.content.decode()
    assert not Section.objects.exists()


def test_an_empty_file_is_a_clear_error(client):
    client.force_login(content_admin())
    response = preview(client, b"")
    assert response.status_code == 200
    assert "empty" in response.content.decode()
    assert 'value="import"' not in response.content.decode()
    assert not Section.objects.exists()


def test_a_binary_file_is_a_clear_error(client):
    client.force_login(content_admin())
    response = preview(client, bytes(range(256)) * 8)
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html
    assert 'value="import"' not in html
    assert not Section.objects.exists()


def test_a_file_over_2_mb_is_refused(client):
    client.force_login(content_admin())
    response = preview(client, b"a" * (2 * 1024 * 1024 + 1))
    assert "limit is 2 MB" in response.content.decode()
    assert not Section.objects.exists()


@pytest.mark.parametrize("make_user", [employee, manager], ids=["employee", "manager"])
def test_employees_and_managers_never_reach_the_page(client, make_user):
    client.force_login(make_user())
    response = client.get(URL)
    # admin_view sends non-staff users (employees) to the admin login; managers are staff
    # without the content admin's permissions, so forbidden.
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("make_user", [employee, manager], ids=["employee", "manager"])
def test_staff_without_the_content_admin_role_are_forbidden(client, make_user):
    user = make_user()
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(URL).status_code == 403
    response = preview(client, UK_ADVICE.read_bytes())
    assert response.status_code == 403
    assert not Section.objects.exists()


# --- the two steps as a browser sends them ----------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page as a browser sees them: each form's controls and its buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"enctype": attributes.get("enctype"), "controls": []})
        elif not self.forms:
            return
        elif tag in ("input", "textarea", "button"):
            self.forms[-1]["controls"].append({"tag": tag, **attributes})
        elif tag == "select":
            self._select = {"tag": "select", **attributes, "value": ""}
            self.forms[-1]["controls"].append(self._select)
        elif tag == "option" and self._select is not None:
            if "selected" in attributes or not self._select.get("seen_option"):
                self._select["value"] = attributes.get("value", "")
            self._select["seen_option"] = True

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def page_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_with_button(html: str, action: str) -> dict:
    for form in page_forms(html):
        for control in form["controls"]:
            if control["tag"] == "button" and control.get("value") == action:
                return form
    raise AssertionError(f"no form on the page has a {action!r} button")


def browser_submit(client, html: str, action: str, typed: dict | None = None):
    """Press the button ``action`` as a browser would: send the controls of its form, with
    ``typed`` entered by the user and no file chosen; fail where the browser would refuse."""
    typed = typed or {}
    form = form_with_button(html, action)
    data: dict[str, str] = {}
    for control in form["controls"]:
        name = control.get("name")
        if not name or control["tag"] == "button":
            continue
        if control.get("type") == "file":
            assert "required" not in control, f"the browser asks for a file in {name!r} again"
            continue
        value = typed.get(name, control.get("value") or "")
        assert value or "required" not in control, f"the browser asks for {name!r}"
        data[name] = value
    data["action"] = action
    return client.post(URL, data)


def test_the_import_form_asks_for_no_file_again(client):
    client.force_login(content_admin())
    response = preview(client, UK_ADVICE.read_bytes())
    form = form_with_button(response.content.decode(), "import")
    files = [c for c in form["controls"] if c.get("type") == "file"]
    assert not [c for c in files if "required" in c]
    assert files == []  # the kept copy is imported: the import form has no file input at all


def test_pressing_import_after_a_preview_imports_the_kept_copy(client):
    client.force_login(content_admin())
    advisory = AdvisoryFactory(country=Country.objects.get(code="KZ"))
    response = preview(client, UK_ADVICE.read_bytes())
    imported = browser_submit(client, response.content.decode(), "import")
    assert imported.status_code == 302
    assert imported["Location"] == reverse("admin:advisories_advisory_change", args=[advisory.pk])
    sections = Section.objects.filter(advisory=advisory)
    assert sections.filter(heading="Terrorism", topic="terrorism").exists()
    assert not AdvisoryVersion.objects.exists()
    count = sections.count()
    # The kept copy is used once: pressing Import again (a second tab, the back button)
    # is refused instead of importing the sections twice.
    again = browser_submit(client, response.content.decode(), "import")
    assert again.status_code == 200
    assert "preview it before importing" in again.content.decode()
    assert Section.objects.count() == count


def test_a_country_without_an_advisory_asks_for_the_level_on_the_page(client):
    client.force_login(content_admin())
    response = preview(client, UK_ADVICE.read_bytes())
    html = response.content.decode()
    refused = browser_submit(client, html, "import")
    body = refused.content.decode()
    assert refused.status_code == 200
    assert "Kazakhstan has no advisory yet" in body
    assert "--level" not in body
    assert "give its overall level (1-5) in the Level field" in body
    assert not Section.objects.exists()
    # The page that says so has the field, and the import goes through once it is filled.
    level = [c for c in form_with_button(body, "import")["controls"] if c.get("name") == "level"]
    assert level and level[0].get("type") == "number"
    imported = browser_submit(client, body, "import", {"level": "2"})
    assert imported.status_code == 302
    advisory = Advisory.objects.get(country_id="KZ")
    assert advisory.level == 2
    assert advisory.sections.filter(heading="Terrorism").exists()


def test_a_preview_for_a_country_with_an_advisory_asks_no_level(client):
    client.force_login(content_admin())
    AdvisoryFactory(country=Country.objects.get(code="KZ"))
    html = preview(client, UK_ADVICE.read_bytes()).content.decode()
    names = [c.get("name") for c in form_with_button(html, "import")["controls"]]
    assert "level" not in names


def test_an_import_of_an_expired_or_replaced_preview_is_refused(client):
    client.force_login(content_admin())
    first = preview(client, UK_ADVICE.read_bytes()).content.decode()
    # A second preview (another tab) replaces the kept copy: the first page's Import button
    # must not import the other document.
    preview(client, b"# Other\n\n## Crime\n\nPickpockets.\n", fmt="plain")
    refused = browser_submit(client, first, "import", {"level": "2"})
    assert refused.status_code == 200
    assert "expired or was replaced" in refused.content.decode()
    assert not Section.objects.exists()
    # No token at all (a hand-made POST) is the same clear error.
    response = client.post(URL, {"action": "import", "level": "2"})
    assert response.status_code == 200
    assert "preview it before importing" in response.content.decode()
    assert not Section.objects.exists()


def test_the_import_uses_the_previewed_country_not_a_posted_one(client):
    client.force_login(content_admin())
    html = preview(client, UK_ADVICE.read_bytes()).content.decode()
    form = form_with_button(html, "import")
    token = next(c["value"] for c in form["controls"] if c.get("name") == "token")
    response = client.post(URL, {"action": "import", "token": token, "level": "2", "country": "MN"})
    assert response.status_code == 302
    assert Section.objects.filter(advisory__country_id="KZ").exists()
    assert not Section.objects.filter(advisory__country_id="MN").exists()
