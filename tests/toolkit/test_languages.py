"""Each reader gets their own language: pages follow the request (nothing translated once at import),
messages follow the recipient's choice, chat robots the team's language."""

import importlib
import inspect
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from evaluation import services as evaluation_services
from evaluation.reminders import follow_up_scan
from tests.factories import TicketFactory, UserFactory
from tests.toolkit.test_notifications import make_reminder
from tests.tracking.factories import TaskFactory
from toolkit import notifications
from toolkit.choices import Channel, WebhookKind
from toolkit.models import ChatWebhook, Delivery, Notification
from tracking.reminders import overdue_tasks_scan

ENGLISH_HELP = "Core business interrupted, many users affected"
CHINESE_HELP = "核心业务中断"


def _get(client, path, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- pages: nothing built at import


def test_intake_form_help_is_in_each_requests_language(engineer_client):
    """The priority help used to be joined once at import, so English pages showed it in Chinese."""
    path = reverse("diagnosis:new")
    for language in ("en", "zh-hans", "en"):
        text = _get(engineer_client, path, language)
        if language == "en":
            assert ENGLISH_HELP in text and CHINESE_HELP not in text
        else:
            assert CHINESE_HELP in text and ENGLISH_HELP not in text


def test_edit_form_and_account_page_follow_the_request(engineer_client, engineer):
    ticket = TicketFactory(owner=engineer, recorded_by=engineer)
    edit = reverse("diagnosis:edit", args=[ticket.number])
    account = reverse("account_security")
    for language in ("zh-hans", "en"):
        edit_text = _get(engineer_client, edit, language)
        account_text = _get(engineer_client, account, language)
        if language == "en":
            assert ENGLISH_HELP in edit_text and CHINESE_HELP not in edit_text
            assert "Language for messages" in account_text
        else:
            assert CHINESE_HELP in edit_text and ENGLISH_HELP not in edit_text
            assert "Language for messages" not in account_text


def _project_forms():
    """Every form class defined in this project's apps' forms modules."""
    found = set()
    for config in apps.get_app_configs():
        if not str(config.path).startswith(str(settings.BASE_DIR)):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                found.add(value)
    return sorted(found, key=lambda form: form.__qualname__)


def _made_at_import(value) -> bool:
    """Words in a plain str (not a lazy translation); language names are their own in every language."""
    own_names = dict(settings.LANGUAGES).values()
    return (
        isinstance(value, str)
        and not isinstance(value, Promise)
        and any(c.isalpha() for c in value)
        and value not in own_names
    )


def test_no_form_label_help_text_or_choice_is_translated_at_import():
    """A text made at import is a plain str in whatever language was active then."""
    checked, eager = 0, []
    for form in _project_forms():
        for name, field in form.base_fields.items():
            texts = {"label": field.label, "help_text": field.help_text}
            if not hasattr(field, "queryset"):
                texts |= {f"choice {key!r}": label for key, label in getattr(field, "choices", [])}
            for kind, value in texts.items():
                checked += 1
                if _made_at_import(value):
                    eager.append(f"{form.__module__}.{form.__qualname__}.{name} {kind}: {value!r}")
    assert checked > 50
    assert eager == []


# ---------------------------------------------------------------- messages in the recipient's language


@pytest.fixture
def english_boss(db):
    return UserFactory(
        username="boss", first_name="Ann", job_title="", email="ann@example.com", language="en"
    )


@pytest.fixture
def chinese_owner(db, english_boss):
    return UserFactory(
        username="owner",
        first_name="李工",
        job_title="",
        email="li@example.com",
        manager=english_boss,
        language="zh-hans",
        role="engineer",
    )


def test_a_breach_reaches_the_english_manager_in_english_and_the_engineer_in_chinese(
    chinese_owner, english_boss, settings
):
    settings.SITE_URL = "https://desk.example.com"
    reminder = make_reminder(chinese_owner, threshold=100, late_minutes=15)
    number = reminder.ticket_sla.ticket.number

    with translation.override("en"):  # whatever is active in the worker must not matter
        notifications.reminder_fan_out(reminder.pk)

    by_user = {n.user: n.message for n in Notification.objects.all()}
    assert by_user[english_boss] == (
        f"[P0 breached] {number} TSA公司: First response overdue by 15 min (escalated: owner 李工)"
    )
    assert by_user[chinese_owner].startswith(f"[P0 已超时] {number} TSA公司")
    languages = dict(Delivery.objects.values_list("recipient", "language"))
    assert languages == {"li@example.com": "zh-hans", "ann@example.com": "en"}

    with translation.override("zh-hans"):
        for delivery in Delivery.objects.order_by("pk"):
            notifications.delivery_send(delivery.pk)
    mails = {message.to[0]: message for message in mail.outbox}
    english, chinese = mails["ann@example.com"], mails["li@example.com"]
    assert english.subject == f"[P0 breached] {number} TSA公司: First response overdue by 15 min"
    assert "Open the ticket:" in english.body and "You receive this as the manager of 李工." in english.body
    assert chinese.subject.startswith(f"[P0 已超时] {number} TSA公司")
    assert "Open the ticket" not in chinese.body and "Owner:" not in chinese.body


def test_no_choice_follows_the_teams_language(db, settings):
    settings.LANGUAGE_CODE = "en"
    owner = UserFactory(username="plain", first_name="王工", job_title="", email="w@example.com")
    reminder = make_reminder(owner, threshold=100)
    with translation.override("zh-hans"):
        notifications.reminder_fan_out(reminder.pk)
    assert "breached" in Notification.objects.get().message
    assert Delivery.objects.get().language == "en"


def test_chat_robots_get_the_teams_language(chinese_owner, english_boss, settings):
    settings.LANGUAGE_CODE = "en"
    webhook = ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url="http://127.0.0.1:9/hook")
    reminder = make_reminder(chinese_owner, threshold=100)
    notifications.reminder_fan_out(reminder.pk)
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert delivery.language == ""
    with translation.override(notifications.languages.team_language()):
        payload = notifications._webhook_payload(delivery, webhook)
    assert "SLA breach" in payload


def test_admins_hear_of_a_failing_webhook_in_their_own_language(db):
    english = UserFactory(username="en-admin", is_superuser=True, language="en")
    chinese = UserFactory(username="zh-admin", is_superuser=True, language="zh-hans")
    webhook = ChatWebhook.objects.create(name="值班群", kind=WebhookKind.WECOM, url="http://127.0.0.1:9/hook")
    notifications._tell_admins(webhook, "timeout")
    by_user = {n.user: n.message for n in Notification.objects.all()}
    assert by_user[english].startswith("Chat webhook 值班群 keeps failing")
    assert "keeps failing" not in by_user[chinese] and "值班群" in by_user[chinese]


def test_overdue_task_reminders_are_in_each_owners_language(db):
    shanghai = ZoneInfo("Asia/Shanghai")
    english = UserFactory(username="en-owner", language="en")
    chinese = UserFactory(username="zh-owner", language="zh-hans")
    for owner in (english, chinese):
        TaskFactory(
            ticket__stage="implementation", owner=owner, name="升级验证码服务", planned_end=date(2026, 6, 9)
        )
    assert overdue_tasks_scan(now=datetime(2026, 6, 11, 10, tzinfo=shanghai)) == 2
    by_user = {n.user: n.message for n in Notification.objects.all()}
    assert "is 2 days overdue" in by_user[english]
    assert "已逾期 2 天" in by_user[chinese]


def test_follow_up_reminders_are_in_the_assignees_language(db):
    engineer = UserFactory(username="en-engineer", language="en", role="engineer")
    ticket = TicketFactory(owner=engineer, recorded_by=engineer, stage="evaluation")
    now = timezone.now()
    evaluation_services.follow_up_schedule(ticket=ticket, by=engineer, due_at=now - timedelta(minutes=1))
    with translation.override("zh-hans"):
        assert follow_up_scan(now=now) == 1
    assert Notification.objects.get().message.startswith(f"Follow-up visit for {ticket.number} is due")


def test_password_reset_mail_is_in_the_account_holders_language(db, client):
    UserFactory(username="ann", email="ann@example.com", language="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(reverse("password_reset"), {"email": "ann@example.com"})
    assert response.status_code == 302
    message = mail.outbox[0]
    with translation.override("zh-hans"):
        chinese_subject = translation.gettext("Password reset on %(site_name)s")
    assert "Password reset" in message.subject and chinese_subject.split("%")[0] not in message.subject


# ---------------------------------------------------------------- choosing it


def test_a_user_chooses_their_language_on_the_account_page(engineer_client, engineer):
    page = _get(engineer_client, reverse("account_security"), "en")
    assert 'id="language-form"' in page and "The team&#x27;s language" in page

    response = engineer_client.post(reverse("account_security_language"), {"language": "en"})
    assert response.status_code == 302 and response.url == reverse("account_security")
    engineer.refresh_from_db()
    assert engineer.language == "en"

    engineer_client.post(reverse("account_security_language"), {"language": "fr"})
    engineer.refresh_from_db()
    assert engineer.language == "en"  # not offered: refused

    engineer_client.post(reverse("account_security_language"), {"language": ""})
    engineer.refresh_from_db()
    assert engineer.language == ""


def test_the_language_is_in_the_user_admin(admin_client_role, engineer):
    page = admin_client_role.get(reverse("admin:toolkit_user_change", args=[engineer.pk])).content.decode()
    assert 'name="language"' in page
