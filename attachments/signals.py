"""A ticket deleted (admins only) takes its attachment rows with it: their files go too, once committed."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Attachment


@receiver(post_delete, sender=Attachment)
def _remove_stored_files(sender, instance: Attachment, **kwargs):
    from .services import _remove_files

    names = [instance.file.name, instance.thumbnail]
    transaction.on_commit(lambda: _remove_files(names))
