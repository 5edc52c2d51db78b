"""Backup codes were stored as the codes themselves: each unused one becomes its keyed digest (the same
as accounts.services.backup_code_digest, written out here so that this migration does not change when
that module does). Reversing keeps the digests; users then make new codes."""

from django.conf import settings
from django.db import migrations
from django.utils.crypto import salted_hmac

DIGEST_LENGTH = 16  # a code django-otp made is 8 characters: anything of this length is a digest already


def _digest(code: str) -> str:
    code = "".join(ch for ch in code if ch.isalnum()).lower()
    return salted_hmac("accounts.backup-code", code, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()[
        :DIGEST_LENGTH
    ]


def codes_to_digests(apps, schema_editor):
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.exclude(token__regex=r"^[0-9a-f]{16}$").iterator():
        token.token = _digest(token.token)
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_roles"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(codes_to_digests, migrations.RunPython.noop)]
