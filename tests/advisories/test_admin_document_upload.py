from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from advisories.models import AdvisoryVersion, Section, Source
from tests.factories import content_admin, employee, manager

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
UK_ADVICE = SEEDS / "000_03d531ee13b264f4.txt"
URL = "/admin/advisories/import-document/"

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "advice.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


def preview(client, data: bytes, **extra):
    return client.post(
        URL,
        {"action": "preview", "document": upload(data), "country": "KZ", "fmt": "auto", **extra},
    )


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
    preview(client, UK_ADVICE.read_bytes())
    response = client.post(URL, {"action": "import", "country": "KZ", "fmt": "auto", "level": "2"})
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
    preview(client, UK_ADVICE.read_bytes())
    response = client.post(URL, {"action": "import", "country": "KZ", "fmt": "auto"})
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
