"""API tokens end: they expire, their owner lists and revokes them, a new password ends them
all; the API is rate-limited per user and per address; the lockout covers the token endpoint
and an attack spread over many addresses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.models import AuditEntry
from tests.factories import employee, logged_in

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


def token_for(user, *, address: str = "127.0.0.1") -> dict:
    response = APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_works_and_says_when_it_expires():
    user = employee()
    body = token_for(user)
    assert set(body) >= {"token", "expiry", "id"}
    expiry = dt.datetime.fromisoformat(body["expiry"])
    assert dt.timedelta(days=29) < expiry - timezone.now() <= dt.timedelta(days=30)
    assert with_token(body["token"]).get("/api/me/").json()["username"] == user.username
    # Stored hashed: the token itself is nowhere in the database.
    assert not AuthToken.objects.filter(digest=body["token"]).exists()
    assert AuditEntry.objects.filter(action="auth.token_created", object_id=str(user.pk)).exists()


def test_an_expired_token_is_refused():
    body = token_for(employee())
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = with_token(body["token"]).get("/api/me/")
    assert response.status_code == 401
    assert "detail" in response.json()
    assert not AuthToken.objects.exists()  # cleaned up on the way


def test_the_owner_lists_their_tokens_without_the_secrets():
    user = employee()
    first, second = token_for(user), token_for(user)
    token_for(employee())  # someone else's is not listed
    response = with_token(second["token"]).get("/api/auth/tokens/")
    assert response.status_code == 200
    listed = response.json()["results"]
    assert [t["id"] for t in listed] == [second["id"], first["id"]]
    assert [t["current"] for t in listed] == [True, False]
    assert first["token"] not in response.content.decode()


def test_the_owner_revokes_a_token_and_it_stops_working_at_once():
    user = employee()
    kept, revoked = token_for(user), token_for(user)
    response = with_token(kept["token"]).delete(f"/api/auth/tokens/{revoked['id']}/")
    assert response.status_code == 204
    assert with_token(revoked["token"]).get("/api/me/").status_code == 401
    assert with_token(kept["token"]).get("/api/me/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.token_revoked").count() == 1


def test_someone_elses_token_cannot_be_revoked():
    owner, other = employee(), employee()
    theirs = token_for(owner)
    response = with_token(token_for(other)["token"]).delete(f"/api/auth/tokens/{theirs['id']}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such token."}
    assert with_token(theirs["token"]).get("/api/me/").status_code == 200


@pytest.mark.parametrize("token_id", ["x", "0" * 400, "ZZZZZZZZZZZZZZZZ"])
def test_a_malformed_token_id_is_a_404(token_id):
    user = employee()
    response = with_token(token_for(user)["token"]).delete(f"/api/auth/tokens/{token_id}/")
    assert response.status_code == 404


def test_the_profile_page_lists_tokens_and_revokes_one():
    user = employee()
    body = token_for(user)
    page = logged_in(user)
    listing = page.get("/profile/").content.decode()
    assert body["id"] in listing
    assert body["token"] not in listing
    response = page.post(f"/profile/tokens/{body['id']}/revoke/")
    assert response.status_code == 302
    assert with_token(body["token"]).get("/api/me/").status_code == 401
    assert body["id"] not in page.get("/profile/").content.decode()


def test_a_password_change_ends_every_token_and_other_session():
    user = employee()
    tokens = [token_for(user)["token"] for _ in range(2)]
    elsewhere = Client()
    elsewhere.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert elsewhere.get("/").status_code == 200
    here = Client()
    here.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    response = here.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new secret 81",
            "new_password2": "a brand new secret 81",
        },
    )
    assert response.status_code == 302
    for token in tokens:
        assert with_token(token).get("/api/me/").status_code == 401
    assert elsewhere.get("/").status_code == 302  # signed out: sent to the login page
    assert here.get("/").status_code == 200  # the page that changed it keeps its session


def test_a_password_reset_ends_every_token():
    user = employee()
    token = token_for(user)["token"]
    user.set_password("reset by link 55")
    user.save()
    assert with_token(token).get("/api/me/").status_code == 401
    assert AuditEntry.objects.filter(action="auth.tokens_revoked").count() == 1


def test_the_password_reset_link_ends_every_token_and_session():
    user = employee(email="rita@example.com")
    token = token_for(user)["token"]
    signed_in = Client()
    signed_in.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    stranger = Client()
    stranger.post("/accounts/password_reset/", {"email": user.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = stranger.get(link, follow=True)
    response = stranger.post(
        form.redirect_chain[-1][0],
        {"new_password1": "reset by link 55", "new_password2": "reset by link 55"},
    )
    assert response.status_code == 302
    assert with_token(token).get("/api/me/").status_code == 401
    assert signed_in.get("/").status_code == 302


def test_saving_a_user_without_a_new_password_keeps_their_tokens():
    user = employee()
    token = token_for(user)["token"]
    user.first_name = "Renamed"
    user.save()
    assert with_token(token).get("/api/me/").status_code == 200


# --- the login lockout on the token endpoint ------------------------------------------------


def test_the_token_endpoint_locks_out_after_repeated_failures(settings):
    user = employee()
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            "/api/auth/token/", {"username": user.username, "password": "guess"}, format="json"
        )
        assert response.status_code in (400, 429)
    response = client.post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert not AuthToken.objects.exists()


def test_a_wrong_password_is_a_field_error_in_the_api_shape():
    user = employee()
    response = APIClient().post(
        "/api/auth/token/", {"username": user.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_an_attack_spread_over_many_addresses_locks_the_account(settings):
    settings.AXES_USERNAME_FAILURE_LIMIT = 8
    user = employee()
    for n in range(8):  # two tries from each of four addresses: under the per-address limit
        APIClient(REMOTE_ADDR=f"10.0.0.{n // 2}").post(
            "/api/auth/token/", {"username": user.username, "password": "guess"}, format="json"
        )
    response = APIClient(REMOTE_ADDR="10.9.9.9").post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    page = Client(REMOTE_ADDR="10.9.9.10").post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}
    )
    assert page.status_code == 429
    # Another account from the same addresses is not affected.
    assert token_for(employee(), address="10.0.0.1")["token"]


# --- throttling -----------------------------------------------------------------------------


def test_the_api_throttles_a_user_with_429_and_retry_after(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "3/minute"}
    client = with_token(token_for(employee())["token"])
    statuses = [client.get("/api/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/me/")
    assert response.json()["detail"].startswith("Request was throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_the_api_throttles_an_address_across_users(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "ip": "4/minute"}
    first, second = employee(), employee()
    clients = []
    for user in (first, second):
        client = APIClient(REMOTE_ADDR="192.0.2.7")
        client.force_authenticate(user)
        clients.append(client)
    statuses = [clients[n % 2].get("/api/me/").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    other = APIClient(REMOTE_ADDR="192.0.2.8")
    other.force_authenticate(first)
    assert other.get("/api/me/").status_code == 200


def test_the_token_endpoint_has_its_own_tighter_limit(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "2/minute"}
    user = employee()
    client = APIClient()
    statuses = [
        client.post(
            "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
