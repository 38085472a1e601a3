from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from portal.models import TravellerProfile


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="portal-create-profile")
def create_profile(sender, instance, created, raw=False, **kwargs):
    # Every user is a potential traveller; a profile row always exists so nothing else has to
    # ask whether it does.
    if created and not raw:
        TravellerProfile.objects.get_or_create(user=instance)
