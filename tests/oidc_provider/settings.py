"""Settings of the test identity provider. Everything that varies comes from its state folder
(OIDC_PROVIDER_DIR): the signing key the test generated, the people's claims, and, when the
test wants tokens that do not verify, the key set to publish instead of the real one."""

import os
from pathlib import Path

STATE = Path(os.environ["OIDC_PROVIDER_DIR"])
PORT = int(os.environ["OIDC_PROVIDER_PORT"])

DEBUG = False
SECRET_KEY = "test-identity-provider-only"
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "tests.oidc_provider.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": STATE / "idp.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
USE_TZ = True
# Its own cookie name: the portal runs on the same host (127.0.0.1), another port.
SESSION_COOKIE_NAME = "idp_session"
CSRF_COOKIE_NAME = "idp_csrf"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": (STATE / "signing-key.pem").read_text(),
    "OIDC_ISS_ENDPOINT": f"http://127.0.0.1:{PORT}/o",
    "OAUTH2_VALIDATOR_CLASS": "tests.oidc_provider.validators.ClaimsFromFile",
    "PKCE_REQUIRED": True,
    "SCOPES": {"openid": "OpenID Connect", "email": "E-mail", "profile": "Profile"},
}
