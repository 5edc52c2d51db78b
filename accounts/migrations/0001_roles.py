"""Gave admins the unlocking of locked-out accounts (django-axes) and the removal of lost second
factors (django-otp devices).

Kept as history: the grants are now rows of toolkit/roles.py's ROLE_PERMISSIONS, which
sync_roles applies after every migrate (post_migrate). Other migrations depend on this one.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("toolkit", "0002_roles"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = []
