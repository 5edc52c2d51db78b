"""Sign-in pages: the two-step login, the locked-out answer, throttled password reset, and the
account's security page (two-factor sign-in set-up)."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from . import ratelimit, selectors, services, sessions, social, sso
from .forms import CodeForm, LanguageForm, RecipientLanguagePasswordResetForm

TOO_MANY_REQUESTS = 429


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a login attempt on a locked-out account (settings.AXES_LOCKOUT_CALLABLE)."""
    sessions.pending_login_clear(request.session)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=TOO_MANY_REQUESTS)


class LoginView(auth_views.LoginView):
    """Step one, the password. A user with two-factor sign-in is not logged in yet: the code comes next."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Single sign-on offered beside the password form (accounts/sso.py).
        context["oidc_provider_name"] = sso.oidc_provider_name() if sso.oidc_enabled() else ""
        context["social_platforms"] = social.enabled_platforms()
        return context

    def form_valid(self, form):
        user = form.get_user()
        if not selectors.has_two_factor(user=user):
            return super().form_valid(form)
        sessions.pending_login_start(self.request.session, user=user, next_url=self.get_success_url())
        return redirect("login_code")


@login_not_required
@sensitive_post_parameters("code")
@never_cache
def login_code(request):
    """Step two, the code. Wrong codes count as failed logins, so the same lockout applies."""
    pending = sessions.pending_login(request.session)
    if pending is None:
        messages.info(request, _("Please sign in again."))
        return redirect("login")
    user, backend, next_url = pending
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return locked_out(request)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        device = services.two_factor_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            # django-otp's user_logged_in receiver marks the session verified by this device.
            user.otp_device = device
            auth_login(request, user, backend=backend)
            return redirect(next_url)
        # django-axes counts it; at the limit its middleware answers with locked_out().
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        form.add_error("code", services.wrong_code_error())
    return render(request, "registration/login_code.html", {"form": form, "username": user.get_username()})


@login_not_required
def admin_login(request):
    """The admin site signs in through the same login (throttling and two-factor code included)."""
    if request.user.is_authenticated:
        # Signed in without the staff flag: the admin would only ask for another account.
        raise PermissionDenied
    next_url = request.GET.get("next") or reverse("admin:index")
    return auth_views.redirect_to_login(next_url)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset (the same answer whether or not the address has an account), throttled; the
    e-mail goes in the account holder's language for messages."""

    form_class = RecipientLanguagePasswordResetForm

    def form_valid(self, form):
        if not ratelimit.password_reset_allowed(self.request, email=form.cleaned_data["email"]):
            form.add_error(None, _("Too many password reset requests. Please try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=TOO_MANY_REQUESTS)
        return super().form_valid(form)


# ---------------------------------------------------------------- the account's security page


@never_cache
def security(request):
    user = request.user
    enabled = selectors.has_two_factor(user=user)
    pending = None if enabled else selectors.pending_totp_device(user=user)
    context = {
        "enabled": enabled,
        "required": selectors.two_factor_required(user=user),
        "backup_codes_left": selectors.backup_codes_left(user=user),
        "pending": pending,
        "form": CodeForm(),
        "language_form": LanguageForm(instance=user),
    }
    if pending is not None:
        context["qr_svg"] = services.totp_qr_svg(device=pending)
        context["secret"] = services.totp_secret_text(device=pending)
    return render(request, "accounts/security.html", context)


@require_POST
def security_language(request):
    form = LanguageForm(request.POST, instance=request.user)
    if form.is_valid():
        services.user_language_set(user=request.user, language=form.cleaned_data["language"])
        messages.success(request, _("Saved. Reminders and e-mails to you use this language from now on."))
    else:
        messages.error(request, _("Choose one of the languages offered."))
    return redirect("account_security")


@require_POST
def security_start(request):
    try:
        services.totp_enrolment_start(user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("account_security")


def _with_code(request, action):
    """Run action(code) with the posted code; errors go back to the security page as a message."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a code."))
        return None
    try:
        return action(form.cleaned_data["code"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None


def _show_backup_codes(request, codes, *, title):
    return render(request, "accounts/backup_codes.html", {"codes": codes, "title": title})


@require_POST
@sensitive_post_parameters("code")
@never_cache
def security_confirm(request):
    codes = _with_code(request, lambda code: services.totp_enrolment_confirm(user=request.user, code=code))
    if codes is None:
        return redirect("account_security")
    # This session has just proved the app works: it counts as signed in with it.
    otp_login(request, selectors.confirmed_totp_device(user=request.user))
    sessions.owes_code_clear(request.session)
    messages.success(request, _("Two-factor sign-in is on. From now on, signing in asks for a code."))
    return _show_backup_codes(request, codes, title=_("Two-factor sign-in is on"))


@require_POST
@sensitive_post_parameters("code")
@never_cache
def security_backup_codes(request):
    codes = _with_code(request, lambda code: services.backup_codes_regenerate(user=request.user, code=code))
    if codes is None:
        return redirect("account_security")
    return _show_backup_codes(request, codes, title=_("New backup codes"))


@require_POST
@sensitive_post_parameters("code")
def security_disable(request):
    done = _with_code(request, lambda code: services.two_factor_disable(user=request.user, code=code) or True)
    if done:
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("account_security")
