"""Reads about a user's sign-in: two-factor devices and whether their role requires one."""

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from toolkit import roles


def has_two_factor(*, user) -> bool:
    """The user has a confirmed authenticator app (backup codes exist only beside one)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp_device(*, user) -> TOTPDevice | None:
    """The authenticator being set up (scanned, not yet confirmed with a code)."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def confirmed_totp_device(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def backup_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_required(*, user) -> bool:
    """settings.OTP_REQUIRED_FOR_ROLES names one of the user's roles (superusers count as admins)."""
    required = set(settings.OTP_REQUIRED_FOR_ROLES)
    if not required or not user.is_authenticated:
        return False
    if user.is_superuser and roles.ADMIN in required:
        return True
    return user.groups.filter(name__in=required).exists()
