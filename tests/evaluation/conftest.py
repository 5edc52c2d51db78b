import pytest
from django.core.cache import cache

from evaluation import services
from evaluation.models import SurveyDelivery
from tests.factories import CustomerFactory, TicketFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The survey rate limit counts in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customer(db):
    return CustomerFactory(name="TSA公司")


@pytest.fixture
def ticket(engineer, customer):
    return TicketFactory(
        owner=engineer,
        customer=customer,
        stage="implementation",
        contact__name="王女士",
        contact_details="wang@tsa.example.com",
        description="无法登录系统,提示验证码错误",
    )


@pytest.fixture
def new_survey(ticket, engineer):
    return services.survey_create(ticket=ticket, by=engineer, delivery=SurveyDelivery.SHOWN)


ANSWERS = {
    "response_speed": "5",
    "effectiveness": "4",
    "attitude": "5",
    "communication": "3",
    "overall": "4",
    "comment": "处理很及时,谢谢",
}
