import pytest
from django.core.cache import cache
from django.test import Client

from portal import services
from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The portal's rate limits count in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customer(db):
    return CustomerFactory(name="TSA公司")


@pytest.fixture
def issued(customer, engineer):
    """A working report link for TSA公司, issued by the engineer (the token as given to the customer)."""
    return services.report_link_issue(customer=customer, by=engineer)


@pytest.fixture
def anon():
    return Client()


def answers(**changes):
    """The report form as the document's first example customer would fill it."""
    data = {
        "description": "无法登录系统,提示“验证码错误”,影响3名用户提交订单",
        "occurred_at": "2023-10-01T14:30",
        "impact_scope": "some_users",
        "users_affected": "3",
        "error_message": "“验证码错误,请重试”",
        "frequency": "persistent",
        "contact_name": "王女士",
        "contact": "wang@tsa.example.com",
        "status_token": services.new_token(),
    }
    data.update(changes)
    return data


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png(name="screenshot.png", size=(40, 30)):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def reported(anon, issued):
    """A ticket the customer reported through the form, and its status link's token."""
    from django.urls import reverse

    from toolkit.models import Ticket

    data = answers()
    response = anon.post(reverse("portal_public:report", kwargs={"token": issued.token}), data)
    assert response.status_code == 302
    return Ticket.objects.get(), data["status_token"]
