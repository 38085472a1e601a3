"""A real OpenID Connect provider for the single sign-on tests: a minimal Django project on
django-oauth-toolkit, run in a subprocess on loopback by tests/portal/test_sso_provider.py
(`python -m tests.oidc_provider.serve`)."""
