"""Single sign-on with the company's OpenID Connect provider (Entra ID, Okta, Google Workspace,
Keycloak), through mozilla-django-oidc, and the break-glass password login.

mozilla-django-oidc rather than django-allauth: it is one authentication backend and two views
on top of Django's own login, sessions and user model, so the portal's login page, lockout
(django-axes), session rules and API tokens stay as they are; allauth would bring its own
account flows, templates and models for a single provider. What it lacks is added here:
discovery from `OIDC_ISSUER` (done per sign-in, so a provider that is down is a clear page
rather than a cached address that fails in the browser), checking the ID token's audience and
issuer, roles from a claim at every sign-in, audit records, and pages for a provider that is
down or an answer that does not verify instead of a 500 or a bare 400.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from core import roles
from core.audit import audit_record, client_ip

logger = logging.getLogger(__name__)

PASSWORD_LOGIN_ALL = "all"
PASSWORD_LOGIN_SUPERUSERS = "superusers"


class ProviderUnavailable(Exception):
    """The identity provider did not answer, or answered something unusable."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


def provider_endpoints() -> dict[str, str]:
    """The provider's endpoints and issuer: from its discovery document when `OIDC_ISSUER` is
    set, otherwise as configured one by one."""
    issuer = settings.OIDC_ISSUER
    if not issuer:
        return {
            "issuer": "",
            "authorization_endpoint": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
            "token_endpoint": settings.OIDC_OP_TOKEN_ENDPOINT,
            "userinfo_endpoint": settings.OIDC_OP_USER_ENDPOINT,
            "jwks_uri": settings.OIDC_OP_JWKS_ENDPOINT,
        }
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        endpoints = {
            key: str(document[key])
            for key in (
                "issuer",
                "authorization_endpoint",
                "token_endpoint",
                "userinfo_endpoint",
                "jwks_uri",
            )
        }
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise ProviderUnavailable(f"discovery at {url} failed: {error}") from error
    if endpoints["issuer"].rstrip("/") != issuer:
        raise ProviderUnavailable(f"{url} names issuer {endpoints['issuer']!r}, not {issuer!r}")
    return endpoints


def roles_from_claims(claims: dict[str, Any]) -> set[str]:
    """The portal roles the role claim's values map to (OIDC_ROLE_MAP); values it does not
    map give none."""
    value = claims.get(settings.OIDC_ROLE_CLAIM)
    values = value if isinstance(value, list | tuple) else [] if value is None else [value]
    mapped: set[str] = set()
    for item in values:
        mapped.update(settings.OIDC_ROLE_MAP.get(str(item), ()))
    return mapped


def user_roles_set(*, user, wanted: set[str], source: str) -> None:
    """Give `user` exactly the portal roles `wanted` (other groups stay), audited when they
    change: someone taken out of the security group loses approval rights at once."""
    current = set(user.groups.filter(name__in=roles.ROLES).values_list("name", flat=True))
    if current == wanted:
        return
    user.groups.remove(*Group.objects.filter(name__in=current - wanted))
    user.groups.add(*Group.objects.filter(name__in=wanted - current))
    user.__dict__.pop("_portal_roles", None)
    audit_record(
        actor=user,
        action="auth.roles_changed",
        obj=user,
        details={"from": sorted(current), "to": sorted(wanted), "source": source},
    )


class PasswordBackend(ModelBackend):
    """Django's password login, for everyone (`PASSWORD_LOGIN=all`) or only for superusers
    (`superusers`: the break-glass way in when single sign-on is down). It covers the login
    page, the admin's and POST /api/auth/token/ alike."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if (
            user is not None
            and settings.PASSWORD_LOGIN == PASSWORD_LOGIN_SUPERUSERS
            and not user.is_superuser
        ):
            return None
        return user


class PortalOIDCBackend(OIDCAuthenticationBackend):
    """Signs people in with the provider: finds them by e-mail or creates them (a profile
    comes with every user), and sets their roles from the role claim at every sign-in."""

    def __init__(self, *args, **kwargs):
        # The endpoints are looked up when a sign-in needs them, not here: Django builds a
        # backend for every request that reads a session.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self._endpoints: dict[str, str] | None = None

    @property
    def endpoints(self) -> dict[str, str]:
        if self._endpoints is None:
            self._endpoints = provider_endpoints()
        return self._endpoints

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return self.endpoints["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return self.endpoints["userinfo_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return self.endpoints["jwks_uri"]

    def authenticate(self, request, **kwargs):
        if not sso_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        """The signature, and also the audience, issuer and expiry the library leaves out."""
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {algorithm!r}")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.endpoints["issuer"] or None,
                options={"require": ["exp", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from error

    def get_userinfo(self, access_token, id_token, payload):
        # The role claim may come in the ID token or from the userinfo endpoint.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def verify_claims(self, claims):
        return bool(claims.get("email")) and bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(email__iexact=claims["email"])

    def get_username(self, claims):
        wanted = str(claims.get("preferred_username") or claims["email"])[:150]
        if not self.UserModel.objects.filter(username=wanted).exists():
            return wanted
        return f"{claims['email']}#{claims['sub']}"[:150]

    @transaction.atomic
    def create_user(self, claims):
        user = self.UserModel.objects.create_user(
            self.get_username(claims),
            email=claims["email"],
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
        )  # no password: an unusable one
        audit_record(
            actor=user,
            action="auth.sso_user_created",
            obj=user,
            details={"provider": settings.OIDC_PROVIDER_NAME},
        )
        user_roles_set(user=user, wanted=roles_from_claims(claims), source="sso")
        return user

    @transaction.atomic
    def update_user(self, user, claims):
        if user.is_superuser:
            # Superusers keep the password login (break-glass); the provider never grants or
            # exercises their powers.
            raise SuspiciousOperation("a superuser's e-mail address signed in through SSO")
        user_roles_set(user=user, wanted=roles_from_claims(claims), source="sso")
        return user


def unavailable_page(request):
    return render(
        request,
        "registration/sso_unavailable.html",
        {"provider_name": settings.OIDC_PROVIDER_NAME},
        status=503,
    )


def refused_page(request, reason: str):
    audit_record(
        actor=None,
        action="auth.sso_refused",
        ip=client_ip(request),
        details={"reason": reason[:200]},
    )
    return render(
        request,
        "registration/sso_refused.html",
        {"provider_name": settings.OIDC_PROVIDER_NAME},
        status=403,
    )


class SignInView(OIDCAuthenticationRequestView):
    """The "Sign in with <company>" button: off to the provider, with state, nonce and PKCE."""

    def __init__(self, *args, **kwargs):
        View.__init__(self, *args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints()["authorization_endpoint"]
        except ProviderUnavailable:
            logger.exception("Single sign-on: the provider is unavailable")
            return unavailable_page(request)
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: a verified answer signs the person in; a provider that does
    not answer is a 503 page, an answer that does not verify (a state this browser was not
    given, a token signed by another key) a 403 page, both audited or logged."""

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except (ProviderUnavailable, requests.RequestException):
            logger.exception("Single sign-on: the provider is unavailable")
            return unavailable_page(request)
        except SuspiciousOperation as error:
            logger.warning("Single sign-on refused: %s", error)
            return refused_page(request, str(error))

    def login_failure(self):
        reason = self.request.GET.get("error") or "the provider's answer did not verify"
        return refused_page(self.request, str(reason))


urlpatterns = [
    path("login/", login_not_required(SignInView.as_view()), name="oidc_authentication_init"),
    path(
        "callback/",
        login_not_required(CallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
]


def login_options(request) -> dict[str, Any]:
    """For the login page: the single sign-on button and whether the password form is only
    for superusers."""
    return {
        "sso_enabled": sso_enabled(),
        "sso_provider_name": settings.OIDC_PROVIDER_NAME,
        "password_login_superusers_only": settings.PASSWORD_LOGIN == PASSWORD_LOGIN_SUPERUSERS,
    }
