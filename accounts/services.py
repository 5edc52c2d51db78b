"""Writes of the account page: two-factor sign-in (setting up an authenticator app, backup codes,
verifying, turning off) and the language for messages.

Codes are checked by django-otp (RFC 6238 TOTP with one step of clock tolerance, each code usable
once, wrong codes throttled with a growing delay). A device's failed-attempt count is saved by
django-otp itself, so no verification happens inside a transaction that a ValidationError rolls back.
Backup codes are stored as keyed digests (backup_code_digest), never as the codes: a copy of the
database signs nobody in.
"""

from base64 import b32encode
from datetime import timedelta

from axes.models import AccessLog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors

BACKUP_CODE_COUNT = 10
SIGN_IN_LOG_PURGE_BATCH = 1000
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"


def normalise_code(code: str) -> str:
    """People type codes with spaces or dashes (123 456, abcd-efgh) and in either case."""
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def wrong_code_error() -> ValidationError:
    return ValidationError(
        _(
            "That code is not right, or it came too soon after a wrong one. "
            "Wait a moment and enter the current code."
        ),
        code="wrong_code",
    )


@transaction.atomic
def totp_enrolment_start(*, user) -> TOTPDevice:
    """A new secret for the user's authenticator app, unconfirmed until they type a code from it."""
    if selectors.has_two_factor(user=user):
        raise ValidationError(_("Two-factor sign-in is already on."), code="already_on")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """The otpauth:// link of the device as an inline SVG QR code (drawn here: no CDN, no image file)."""
    import segno  # here, not at the top: only the two-factor set-up page draws a QR code

    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def totp_secret_text(*, device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_enrolment_confirm(*, user, code: str) -> list[str]:
    """Confirm the app being set up with a code it shows; returns the new backup codes (shown once)."""
    device = selectors.pending_totp_device(user=user)
    if device is None:
        raise ValidationError(_("Start the set-up again: no authenticator app is waiting to be confirmed."))
    if not device.verify_token(normalise_code(code)):
        raise wrong_code_error()
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return _new_backup_codes(user=user)


BACKUP_CODE_SALT = "accounts.backup-code"
BACKUP_CODE_DIGEST_LENGTH = 16  # django-otp's token column holds 16 characters


def backup_code_digest(code: str, *, secret: str | None = None) -> str:
    """What is stored of a backup code: an HMAC of it under the secret key, its first hex digits. Codes
    carry 40 random bits, so an unkeyed hash of them could be reversed by trying them all; without the
    key it cannot."""
    digest = salted_hmac(BACKUP_CODE_SALT, normalise_code(code), secret=secret, algorithm="sha256")
    return digest.hexdigest()[:BACKUP_CODE_DIGEST_LENGTH]


def _backup_code_digests(code: str) -> list[str]:
    """Its digest under the secret key and under each key in SECRET_KEY_FALLBACKS (a key being rotated)."""
    return [
        backup_code_digest(code, secret=key) for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    ]


def _new_backup_codes(*, user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=backup_code_digest(code)) for code in codes
    )
    return codes


def _verify(device, code: str) -> bool:
    """django-otp's check of ``code`` on ``device`` (throttled; a backup code is spent), by digest for
    backup codes."""
    if not isinstance(device, StaticDevice):
        return device.verify_token(code)
    digests = _backup_code_digests(code)
    stored = device.token_set.filter(token__in=digests).values_list("token", flat=True).first()
    # One verify_token call either way, so a wrong code counts once towards the throttle.
    return device.verify_token(stored or digests[0])


def two_factor_verify(*, user, code: str):
    """The user's confirmed device that accepts this code (from the app, or an unused backup code,
    which is then spent), or None. Devices are locked while checked, so one code works once."""
    code = normalise_code(code)
    if not code:
        return None
    # Six or eight digits go to the app, anything else to the backup codes: a code tried on the wrong
    # kind of device would count as a failure there and slow the next attempt.
    is_app_code = code.isdigit() and len(code) in (6, 8)
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, TOTPDevice) == is_app_code and _verify(device, code):
                return device
    return None


def backup_codes_regenerate(*, user, code: str) -> list[str]:
    """New backup codes (the old ones stop working), after a current code proves it is the user."""
    if not selectors.has_two_factor(user=user):
        raise ValidationError(_("Two-factor sign-in is not on."), code="not_on")
    if two_factor_verify(user=user, code=code) is None:
        raise wrong_code_error()
    with transaction.atomic():
        return _new_backup_codes(user=user)


def two_factor_disable(*, user, code: str) -> None:
    """Remove the user's authenticator app and backup codes, after a current code. Refused where the
    user's role must use two-factor sign-in (an admin can still remove a lost phone in the admin)."""
    if selectors.two_factor_required(user=user):
        raise ValidationError(_("Your role must use two-factor sign-in, so it cannot be turned off."))
    if two_factor_verify(user=user, code=code) is None:
        raise wrong_code_error()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def user_language_set(*, user, language: str):
    """The language reminders, notifications and e-mails are written to this user in ("" = the team's)."""
    field = user._meta.get_field("language")
    field.clean(language, user)
    user.language = language
    user.save(update_fields=["language"])
    return user


def purge_sign_in_log(*, now) -> int:
    """Periodic (registered in toolkit.chapters): delete the login records (django-axes' AccessLog:
    user name, client address, browser) older than SIGN_IN_LOG_RETENTION_DAYS. At most one batch per
    run, so a first run on a years-old table stays short; the next run goes on. Returns how many."""
    cutoff = now - timedelta(days=settings.SIGN_IN_LOG_RETENTION_DAYS)
    expired = list(
        AccessLog.objects.filter(attempt_time__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:SIGN_IN_LOG_PURGE_BATCH]
    )
    if not expired:
        return 0
    deleted, _by_model = AccessLog.objects.filter(pk__in=expired).delete()
    return deleted
