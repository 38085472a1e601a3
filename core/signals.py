from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from core.accounts import credentials_changed
from core.audit import audit_record, client_ip
from core.middleware import SessionIdleMiddleware
from core.models import TravellerProfile


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="portal-create-profile")
def create_profile(sender, instance, created, raw=False, **kwargs):
    # Every user is a potential traveller; a profile row always exists so nothing else has to
    # ask whether it does.
    if created and not raw:
        TravellerProfile.objects.get_or_create(user=instance)


# Sign-ins belong in the trail too: who was in the portal, from where, and failed attempts.
@receiver(user_logged_in, dispatch_uid="portal-audit-login")
def audit_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.login", obj=user, ip=client_ip(request))


@receiver(user_logged_out, dispatch_uid="portal-audit-logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user, ip=client_ip(request))


@receiver(user_login_failed, dispatch_uid="portal-audit-login-failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # The username tried, never the password (Django already masks it in `credentials`).
    audit_record(
        actor=None,
        action="auth.login_failed",
        ip=client_ip(request),
        details={"username": str(credentials.get("username", ""))[:150]},
    )


# password_changed(sender=User, user: User): a user's password changed (the change or reset
# pages, the admin, changepassword), inside the transaction that saved it, after their API
# tokens ended. What else a password must end listens here: trips ends the calendar feed.
password_changed = Signal()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="portal-password-changed")
def end_tokens_on_new_password(sender, instance, created, raw=False, **kwargs):
    # set_password() leaves the new password in `_password` until save() is done: whatever set
    # it (the password change or reset pages, the admin, changepassword), the API tokens end.
    if not created and not raw and getattr(instance, "_password", None) is not None:
        credentials_changed(user=instance)
        password_changed.send(sender=sender, user=instance)


@receiver(user_logged_in, dispatch_uid="portal-session-seen")
def session_seen_at_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        SessionIdleMiddleware.seen(session)
