"""Single sign-on through a real OpenID Connect provider in Chromium: the provider is
tests/oidc_provider (django-oauth-toolkit) in a subprocess on loopback, signing with an RSA
key this test generates. An unknown person is created with the role their groups map to; a
changed group changes the role at the next sign-in; a forged `state` and a token that does
not verify against the published keys are refused; a provider that is down is a clear page."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from jwcrypto import jwk
from playwright.sync_api import expect

from core import roles
from core.models import AuditEntry, TravellerProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
# The journey's fixtures: Debian's Chromium, and the ORM beside Playwright's event loop.
ALICE = {"email": "alice@acme.example", "given_name": "Alice", "family_name": "Ng"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class IdentityProvider:
    def __init__(self, state: Path, redirect_uri: str) -> None:
        self.state = state
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/o"
        self.client_id = "portal-" + secrets.token_hex(4)
        self.client_secret = secrets.token_urlsafe(32)
        self.signing_key = rsa_pem()
        (state / "signing-key.pem").write_text(self.signing_key)
        (state / "client.json").write_text(
            json.dumps(
                {
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "redirect_uri": redirect_uri,
                }
            )
        )
        (state / "people.json").write_text(json.dumps({"alice": "alice-pw-1", "mallory": "m-pw-1"}))
        self.claims: dict[str, dict] = {}
        self.process: subprocess.Popen | None = None
        self.log = state / "idp.log"

    def set_claims(self, username: str, **claims) -> None:
        self.claims[username] = claims
        (self.state / "claims.json").write_text(json.dumps(self.claims))

    def start(self) -> IdentityProvider:
        self.set_claims("alice", **ALICE, groups=["staff"])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve"],
            cwd=BASE_DIR,
            env={
                **os.environ,
                "OIDC_PROVIDER_DIR": str(self.state),
                "OIDC_PROVIDER_PORT": str(self.port),
                "PYTHONUNBUFFERED": "1",
            },
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"{self.issuer}/.well-known/openid-configuration", timeout=2
                ) as response:
                    if response.status == 200:
                        return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        raise AssertionError(f"The identity provider did not start:\n{self.log.read_text()}")

    def publish_another_key(self) -> None:
        """Publish another key under the signing key's id: the tokens it signs stop verifying."""
        signing = jwk.JWK.from_pem(self.signing_key.encode())
        other = jwk.JWK.from_pem(rsa_pem().encode())
        published = {**json.loads(other.export_public()), "kid": signing.thumbprint()}
        published.update({"alg": "RS256", "use": "sig"})
        (self.state / "rogue-jwks.json").write_text(json.dumps({"keys": [published]}))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


@pytest.fixture
def provider(live_server, settings, tmp_path):
    idp = IdentityProvider(tmp_path, f"{live_server.url}/accounts/oidc/callback/").start()
    settings.OIDC_ISSUER = idp.issuer
    settings.OIDC_RP_CLIENT_ID = idp.client_id
    settings.OIDC_RP_CLIENT_SECRET = idp.client_secret
    settings.OIDC_PROVIDER_NAME = "Acme"
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {"staff": [roles.EMPLOYEE], "travel-security": [roles.MANAGER]}
    settings.PASSWORD_LOGIN = "superusers"
    yield idp
    idp.stop()


def sign_in(browser, base: str, username: str, password: str, *, tamper_state: bool = False):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    if tamper_state:
        # The portal's redirect to the provider carries another state, which the provider
        # then hands back: a state this browser's session was never given.
        def forge(route):
            response = route.fetch(max_redirects=0)
            location = re.sub(r"state=[^&]+", "state=forged", response.headers["location"])
            route.fulfill(response=response, headers={**response.headers, "location": location})

        page.route(re.compile(r"/accounts/oidc/login/"), forge)
    page.goto(f"{base}/")
    assert "/accounts/login/" in page.url
    page.get_by_role("link", name="Sign in with Acme").click()
    page.get_by_label("Acme username").fill(username)
    page.get_by_label("Acme password").fill(password)
    page.get_by_role("button", name="Continue").click()
    return page


def portal_roles(email: str) -> set[str]:
    return set(User.objects.get(email=email).groups.values_list("name", flat=True))


def test_an_unknown_person_gets_the_role_their_groups_map_to_and_it_follows_the_claim(
    browser, live_server, provider
):
    base = live_server.url
    provider.set_claims("alice", **ALICE, groups=["staff", "travel-security"])

    page = sign_in(browser, base, "alice", "alice-pw-1")

    page.wait_for_url(f"{base}/")
    alice = User.objects.get(email=ALICE["email"])
    assert portal_roles(ALICE["email"]) == {roles.EMPLOYEE, roles.MANAGER}
    assert (alice.first_name, alice.has_usable_password()) == ("Alice", False)
    assert TravellerProfile.objects.filter(user=alice).exists()
    assert page.goto(f"{base}/approvals/").status == 200
    assert set(
        AuditEntry.objects.filter(object_id=str(alice.pk)).values_list("action", flat=True)
    ) >= {
        "auth.sso_user_created",
        "auth.roles_changed",
        "auth.login",
    }

    # Taken out of the security group: no approvals from the next sign-in on.
    provider.set_claims("alice", **ALICE, groups=["staff"])
    page = sign_in(browser, base, "alice", "alice-pw-1")

    page.wait_for_url(f"{base}/")
    assert User.objects.filter(email=ALICE["email"]).count() == 1
    assert portal_roles(ALICE["email"]) == {roles.EMPLOYEE}
    assert page.goto(f"{base}/approvals/").status == 403
    change = AuditEntry.objects.filter(action="auth.roles_changed").latest("id")
    assert change.details["from"] == [roles.EMPLOYEE, roles.MANAGER]
    assert change.details["to"] == [roles.EMPLOYEE]


def test_a_forged_state_is_refused(browser, live_server, provider):
    page = sign_in(browser, live_server.url, "alice", "alice-pw-1", tamper_state=True)

    expect(page.get_by_role("heading", name="Sign-in with Acme was refused")).to_be_visible()
    assert not User.objects.filter(email=ALICE["email"]).exists()
    refusal = AuditEntry.objects.get(action="auth.sso_refused")
    assert "state" in refusal.details["reason"]


def test_a_token_signed_by_another_key_is_refused(browser, live_server, provider):
    provider.publish_another_key()

    page = sign_in(browser, live_server.url, "alice", "alice-pw-1")

    expect(page.get_by_role("heading", name="Sign-in with Acme was refused")).to_be_visible()
    assert not User.objects.filter(email=ALICE["email"]).exists()
    refusal = AuditEntry.objects.get(action="auth.sso_refused")
    assert "Signature verification failed" in refusal.details["reason"]


def test_a_provider_that_is_down_gives_a_clear_page(browser, live_server, provider):
    provider.stop()
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")

    with page.expect_navigation():
        page.get_by_role("link", name="Sign in with Acme").click()

    expect(page.get_by_role("heading", name="Sign-in with Acme is unavailable")).to_be_visible()
    assert "did not answer" in page.content()
