"""Keeps each customer's search keys (diagnosis.models.CustomerSearchKey) in step with its name."""

from django.db.models.signals import post_save

from toolkit.models import Customer

from .models import CustomerSearchKey
from .pinyin import search_keys


def customer_search_key_update(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata: the fixture brings its own rows, or a later save makes them
        return
    name, initials, pinyin = search_keys(instance.name)
    CustomerSearchKey.objects.update_or_create(
        customer=instance, defaults={"name": name, "initials": initials, "pinyin": pinyin}
    )


def connect() -> None:
    """Called from DiagnosisConfig.ready()."""
    post_save.connect(
        customer_search_key_update, sender=Customer, dispatch_uid="diagnosis_customer_search_key"
    )
