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
