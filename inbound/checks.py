"""System checks: inbound mail's settings are usable before the first poll needs them."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured

from toolkit.choices import ProblemType


@register()
def inbound_settings(app_configs=None, **kwargs):
    from . import mailbox  # here, not at the top: the IMAP client stays out of web workers until a poll

    errors = []
    try:
        config = mailbox.configured()
    except ImproperlyConfigured as error:
        config = None
        errors.append(Error(str(error), id="inbound.E001"))
    if settings.INBOUND_EMAIL_CA_FILE:
        try:
            mailbox.tls_context()
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), id="inbound.E004"))
        if config is not None and config.security == "plain":
            errors.append(
                CheckWarning(
                    "INBOUND_EMAIL_CA_FILE is set but INBOUND_EMAIL_URL is imap:// (no TLS): it is not used.",
                    id="inbound.W001",
                )
            )
    if settings.INBOUND_DEFAULT_PROBLEM_TYPE not in ProblemType.values:
        errors.append(
            Error(
                f"INBOUND_DEFAULT_PROBLEM_TYPE must be one of {', '.join(ProblemType.values)}.",
                id="inbound.E002",
            )
        )
    if settings.INBOUND_EMAIL_TIMEOUT_SECONDS <= 0 or settings.INBOUND_EMAIL_POLL_SECONDS <= 0:
        errors.append(
            Error(
                "INBOUND_EMAIL_TIMEOUT_SECONDS and INBOUND_EMAIL_POLL_SECONDS must be positive.",
                id="inbound.E003",
            )
        )
    return errors
