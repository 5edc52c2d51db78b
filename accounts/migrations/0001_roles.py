"""Admins unlock locked-out accounts (django-axes' access attempts: delete the row) and remove a lost
authenticator app or backup codes (django-otp's devices: delete the device)."""

from django.db import migrations

from toolkit.roles import grant_app_permissions, revoke_app_permissions

GRANTS = {
    "axes": ["view_accessattempt", "delete_accessattempt", "view_accesslog", "view_accessfailurelog"],
    "otp_totp": ["view_totpdevice", "delete_totpdevice"],
    "otp_static": ["view_staticdevice", "delete_staticdevice"],
}


def grant(apps, schema_editor):
    for app_label, codenames in GRANTS.items():
        grant_app_permissions(apps, app_label, {"admin": codenames})


def revoke(apps, schema_editor):
    for app_label in GRANTS:
        revoke_app_permissions(apps, app_label, ["admin"])


class Migration(migrations.Migration):
    dependencies = [
        ("toolkit", "0002_roles"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
