"""The menu's global search (issue 17 item 7): tickets, articles and customers, ranked, with the knowledge
app's Chinese search. Runs on the database in use: SQLite by default, PostgreSQL with DATABASE_URL."""

import pytest
from django.urls import reverse

from knowledge.models import ArticleStatus
from search import selectors
from tests.factories import CustomerFactory, TicketFactory, UserFactory
from tests.knowledge.factories import make_article
from toolkit.choices import Stage

pytestmark = pytest.mark.django_db
URL = reverse("search:results")


@pytest.fixture
def printing(engineer, manager):
    """Tickets and articles about printing, in Chinese and English, and some noise."""
    acme = CustomerFactory(name="TSA公司")
    plant = CustomerFactory(name="TSB工厂")
    tickets = {
        "error": TicketFactory(
            customer=acme,
            description="财务部无法出单",
            error_message="打印失败:驱动未安装",
            stage=Stage.CLOSED,
        ),
        "body": TicketFactory(
            customer=plant, description="仓库打印机卡纸,请回电 13812345678", stage=Stage.CLOSED
        ),
        "english": TicketFactory(customer=acme, description="The printer in room 3 prints blank pages"),
        "noise": TicketFactory(customer=plant, description="设备数据同步延迟,影响生产调度"),
    }
    articles = {
        "published": make_article(
            engineer, title="打印机脱机的处理", symptoms="打印任务一直排队", publish_by=manager
        ),
        "draft": make_article(engineer, title="打印草稿", symptoms="还在写"),
        "noise": make_article(engineer, title="验证码错误", symptoms="登录失败", publish_by=manager),
    }
    return tickets, articles


def numbers(found):
    return [hit.ticket.number for hit in found.tickets.rows]


def test_chinese_word_finds_tickets_and_articles_error_message_first(printing, engineer):
    tickets, articles = printing
    found = selectors.global_search(q="打印", user=engineer)
    # The ticket whose error message holds the word ranks above the one with it in its description only.
    assert numbers(found) == [tickets["error"].number, tickets["body"].number]
    assert found.tickets.count == 2
    assert {hit.article.title for hit in found.articles.rows} == {
        "打印机脱机的处理",
        "打印草稿",
    }  # an engineer edits drafts
    assert "<mark>打印</mark>" in found.tickets.rows[0].error_html


def test_english_word_finds_english_tickets(printing, engineer):
    tickets, _articles = printing
    found = selectors.global_search(q="printer", user=engineer)
    assert numbers(found) == [tickets["english"].number]
    found = selectors.global_search(q="PRINTS blank", user=engineer)
    assert numbers(found) == [tickets["english"].number]


def test_readers_see_published_articles_only(printing):
    reader = UserFactory(username="reader", role="engineer")
    reader.user_permissions.clear()
    reader.groups.clear()
    from django.contrib.auth.models import Permission

    reader.user_permissions.add(
        Permission.objects.get(codename="view_article", content_type__app_label="knowledge")
    )
    found = selectors.global_search(q="打印", user=reader)
    assert [hit.article.status for hit in found.articles.rows] == [ArticleStatus.PUBLISHED]
    assert not found.tickets.allowed and not found.customers.allowed and found.tickets.rows == []


def test_customers_by_name_with_their_ticket_counts(printing, engineer):
    found = selectors.global_search(q="tsa", user=engineer)
    (acme,) = found.customers.rows
    assert (acme.customer.name, acme.ticket_total, acme.ticket_open) == ("TSA公司", 2, 1)
    assert acme.name_html == "<mark>TSA</mark>公司"


def test_a_ticket_number_typed_exactly_jumps_to_it(printing, engineer_client):
    ticket = printing[0]["noise"]
    for typed in (ticket.number, ticket.number.lower(), f"  {ticket.number} "):
        response = engineer_client.get(URL, {"q": typed})
        assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()


def test_the_start_of_a_number_lists_that_days_tickets(printing, engineer):
    day = printing[0]["noise"].number[:11]  # TS-YYYYMMDD
    found = selectors.global_search(q=day.removeprefix("TS-"), user=engineer)
    assert found.jump is None and found.tickets.count == 4
    assert numbers(found) == sorted(numbers(found), reverse=True)


def test_an_unknown_number_does_not_jump(printing, engineer_client):
    response = engineer_client.get(URL, {"q": "TS-19990101-0001"})
    assert response.status_code == 200
    assert 'id="search-nothing"' in response.content.decode()


def test_contact_details_in_ticket_text_are_masked_without_the_permission(printing, manager):
    other = UserFactory(username="other", role="engineer")  # neither owner nor recorder of the ticket
    masked = selectors.global_search(q="卡纸", user=other).tickets.rows[0].snippet_html
    assert "138****5678" in masked and "13812345678" not in masked
    shown = selectors.global_search(q="卡纸", user=manager).tickets.rows[0].snippet_html
    assert "13812345678" in shown


def test_the_page_shows_three_sections(printing, engineer_client):
    tickets, _articles = printing
    response = engineer_client.get(URL, {"q": "打印"})
    html = response.content.decode()
    assert response.status_code == 200
    for section in ("search-tickets", "search-articles", "search-customers"):
        assert f'id="{section}"' in html
    assert tickets["error"].get_absolute_url() in html and "<mark>打印</mark>机脱机的处理" in html
    assert "13812345678" not in html  # the engineer is not on that ticket


def test_the_menu_has_the_search_box(engineer_client):
    html = engineer_client.get(reverse("knowledge:list")).content.decode()
    assert 'id="menu-search"' in html and f'action="{URL}"' in html


def test_a_too_long_query_is_refused_with_a_message(engineer_client):
    response = engineer_client.get(URL, {"q": "打" * 201})
    assert response.status_code == 400
    assert "最多输入 200 个字符" in response.content.decode()


@pytest.mark.parametrize("q", ["", "   ", "!!!", "''", "* OR -", "NEAR(", "\\"])
def test_odd_input_is_no_error(printing, engineer_client, q):
    assert engineer_client.get(URL, {"q": q}).status_code == 200


def test_login_is_required(client):
    response = client.get(URL, {"q": "打印"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_query_count_does_not_grow_with_results(printing, engineer_client, django_assert_num_queries):
    for _ in range(15):
        TicketFactory(error_message="打印失败", customer=printing[0]["error"].customer)
    # Session, user, the user's and the groups' permissions, the bell's unread count; then the ticket
    # search, the tickets (with customers), the article search, the articles and their tags, the customers.
    with django_assert_num_queries(11):
        response = engineer_client.get(URL, {"q": "打印"})
    assert response.status_code == 200
