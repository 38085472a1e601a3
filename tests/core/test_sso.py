"""Single sign-on settings and the break-glass password login, without a provider (the
sign-in itself runs against a real one in tests/e2e/test_sso.py)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import Client
from rest_framework.test import APIClient

from core import roles, sso
from core.models import AuditEntry
from portal import config
from tests.factories import employee, manager

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def sso_on(settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:1/realm"  # nothing listens on port 1
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_PROVIDER_NAME = "Acme"
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {
        "staff": [roles.EMPLOYEE],
        "travel-security": [roles.MANAGER, roles.EMPLOYEE],
    }


def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


def log_in(username: str) -> int:
    return (
        Client().post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code
    )


def test_the_login_page_has_no_sso_button_until_it_is_configured(client):
    assert b"Sign in with" not in client.get("/accounts/login/").content
    assert client.get("/accounts/oidc/login/").status_code == 404


def test_the_login_page_offers_the_company_sign_in_when_configured(client, sso_on):
    page = client.get("/accounts/login/?next=/trips/").content.decode()

    assert 'href="/accounts/oidc/login/?next=/trips/"' in page
    assert "Sign in with Acme" in page
    assert "emergency access only" not in page


def test_a_provider_that_does_not_answer_is_a_503_page_not_a_500(client, sso_on):
    response = client.get("/accounts/oidc/login/")

    assert response.status_code == 503
    assert b"Sign-in with Acme is unavailable" in response.content
    assert b"127.0.0.1:1" not in response.content


def test_a_callback_without_a_sign_in_started_is_refused_and_audited(client, sso_on):
    response = client.get("/accounts/oidc/callback/?code=abc&state=xyz")

    assert response.status_code == 403
    assert b"Sign-in with Acme was refused" in response.content
    assert AuditEntry.objects.filter(action="auth.sso_refused").count() == 1


def test_passwords_work_for_everyone_by_default():
    employee(username="emma")

    assert log_in("emma") == 302


def test_password_login_superusers_keeps_only_the_break_glass_accounts(settings, sso_on):
    settings.PASSWORD_LOGIN = "superusers"
    employee(username="emma")
    superuser()

    assert log_in("emma") == 200  # the form again, with its error
    assert log_in("root") == 302
    assert "emergency access only" in Client().get("/accounts/login/").content.decode()


def test_password_login_superusers_covers_new_api_tokens_but_existing_ones_still_work(settings):
    from knox.models import AuthToken

    settings.PASSWORD_LOGIN = "superusers"
    emma = employee(username="emma")
    superuser()
    _, token = AuthToken.objects.create(emma)
    api = APIClient()

    refused = api.post(
        "/api/auth/token/", {"username": "emma", "password": PASSWORD}, format="json"
    )
    admitted = api.post(
        "/api/auth/token/", {"username": "root", "password": PASSWORD}, format="json"
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert refused.status_code == 400
    assert admitted.status_code == 200
    assert api.get("/api/me/").status_code == 200


def test_the_role_claim_maps_lists_and_single_values_and_ignores_unknown_ones(sso_on):
    assert sso.roles_from_claims({"groups": ["staff", "travel-security", "golf"]}) == {
        roles.EMPLOYEE,
        roles.MANAGER,
    }
    assert sso.roles_from_claims({"groups": "staff"}) == {roles.EMPLOYEE}
    assert sso.roles_from_claims({"groups": ["golf"]}) == set()
    assert sso.roles_from_claims({}) == set()


def test_a_changed_claim_changes_the_roles_and_is_audited(sso_on):
    user = manager()

    sso.PortalOIDCBackend().update_user(user, {"email": user.email, "groups": ["staff"]})

    assert set(user.groups.values_list("name", flat=True)) == {roles.EMPLOYEE}
    entry = AuditEntry.objects.get(action="auth.roles_changed")
    assert entry.details == {"from": [roles.MANAGER], "to": [roles.EMPLOYEE], "source": "sso"}


def test_a_superusers_address_never_signs_in_through_the_provider(sso_on):
    root = superuser()

    with pytest.raises(SuspiciousOperation):
        sso.PortalOIDCBackend().update_user(root, {"email": root.email, "groups": ["staff"]})


def test_the_settings_know_the_four_roles(settings):
    allowed = ("Employee", "Travel arranger", "Security manager", "Content admin")
    assert allowed == roles.ROLES
    assert config.parse_role_map("M", '{"g": "Content admin", "h": ["Employee"]}', allowed) == {
        "g": ["Content admin"],
        "h": ["Employee"],
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("staff=Employee", "OIDC_ROLE_MAP is not valid JSON"),
        ('["Employee"]', "must be a JSON object"),
        ('{"staff": "Admin"}', "unknown role 'Admin'"),
        ('{"staff": []}', "must be a role or a list of roles"),
    ],
)
def test_a_bad_role_map_stops_the_portal_naming_the_variable(value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        config.parse_role_map("OIDC_ROLE_MAP", value, roles.ROLES)


def test_password_login_accepts_only_its_two_values():
    with pytest.raises(ImproperlyConfigured, match="PASSWORD_LOGIN='nobody'"):
        config.parse_choice("PASSWORD_LOGIN", "nobody", ("all", "superusers"), "all")


def test_without_an_issuer_the_configured_endpoints_are_used(settings, sso_on):
    settings.OIDC_ISSUER = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp.example/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp.example/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.example/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp.example/jwks"

    response = Client().get("/accounts/oidc/login/?next=/trips/")

    assert response.status_code == 302
    assert response["Location"].startswith("https://idp.example/authorize?")
    assert "client_id=portal" in response["Location"]
    assert "code_challenge=" in response["Location"]
    assert sso.PortalOIDCBackend().OIDC_OP_JWKS_ENDPOINT == "https://idp.example/jwks"


def test_someone_without_a_password_creates_an_api_token_on_the_profile_page(settings):
    settings.PASSWORD_LOGIN = "superusers"
    emma = employee(username="emma")
    emma.set_unusable_password()  # as single sign-on creates people
    emma.save()
    browser = Client()
    browser.force_login(emma)

    page = browser.post("/profile/tokens/new/")
    key = re.search(r'<code class="token">([^<]+)</code>', page.content.decode())[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert api.get("/api/me/").json()["username"] == "emma"
    assert AuditEntry.objects.filter(action="auth.token_created", actor=emma).count() == 1
    assert b"Create a token" in browser.get("/profile/").content
