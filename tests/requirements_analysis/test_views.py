"""The analysis page: htmx and plain-POST editing, consensus buttons, permissions, query count."""

import pytest
from django.urls import reverse

from requirements_analysis.models import ConfirmationStatus, RequirementItem, Stakeholder
from tests.factories import TicketFactory, UserFactory

from .factories import RequirementItemFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, ticket, **kwargs):
    return reverse(f"requirements_analysis:{name}", kwargs={"number": ticket.number, **kwargs})


def item_data(**overrides):
    data = {
        "kind": "explicit",
        "summary": "需要支持批量导出数据",
        "surface_need": "需要一个导出按钮",
        "essential_need": "月底对账时一次拿到全部订单",
        "collection_method": "interview",
        "source_person": "王女士",
        "source_department": "财务部",
        "constraint_type": "",
        "constraint_amount": "",
        "constraint_date": "",
        "constraint_text": "",
        "value": "4",
        "urgency": "3",
        "effort": "2",
        "moscow": "must",
    }
    data.update(overrides)
    return data


@pytest.fixture
def ticket(db):
    return TicketFactory()


def test_page_shows_surface_and_essential_need_side_by_side_and_the_ranking(engineer_client, ticket):
    RequirementItemFactory(ticket=ticket, summary="导出", surface_need="要导出按钮", essential_need="对账")
    RequirementItemFactory(ticket=ticket, summary="历史版本", value=5, urgency=5, effort=1)
    page = engineer_client.get(url("analysis", ticket)).content.decode()
    assert "表面需求" in page and "本质诉求" in page
    assert "要导出按钮" in page and "对账" in page
    ranking = page[page.index('id="ranking"') :]
    assert ranking.index("历史版本") < ranking.index("导出")
    assert 'data-confirmed="false"' in page


def test_htmx_add_returns_the_refreshed_block(engineer_client, ticket, engineer):
    response = engineer_client.post(url("item_add", ticket), item_data(), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="analysis">') and "<html" not in body
    item = RequirementItem.objects.get()
    assert (item.ticket, item.created_by, item.score) == (ticket, engineer, 2 * 4 + 2 * 3 + 4)
    assert "月底对账时一次拿到全部订单" in body


def test_plain_post_add_redirects_back_to_the_page(engineer_client, ticket):
    response = engineer_client.post(url("item_add", ticket), item_data())
    assert response.status_code == 302 and response.url == url("analysis", ticket)
    assert RequirementItem.objects.count() == 1


def test_budget_that_is_not_a_number_gives_a_clear_error_and_saves_nothing(engineer_client, ticket):
    data = item_data(kind="constraint", constraint_type="amount", constraint_amount="10万")
    response = engineer_client.post(url("item_add", ticket), data, **HTMX)
    assert response.status_code == 200
    assert "请以数字填写金额" in response.content.decode()
    assert not RequirementItem.objects.exists()
    plain = engineer_client.post(url("item_add", ticket), data)
    assert plain.status_code == 400 and not RequirementItem.objects.exists()


def test_date_constraint_with_a_bad_date_is_refused(engineer_client, ticket):
    data = item_data(kind="constraint", constraint_type="date", constraint_date="2024-02-30")
    response = engineer_client.post(url("item_add", ticket), data, **HTMX)
    assert "请按 YYYY-MM-DD 填写日期" in response.content.decode()
    assert not RequirementItem.objects.exists()


def test_constraint_type_amount_with_empty_amount_is_refused(engineer_client, ticket):
    data = item_data(kind="constraint", constraint_type="amount")
    response = engineer_client.post(url("item_add", ticket), data)
    assert response.status_code == 400
    assert not RequirementItem.objects.exists()


def test_htmx_edit_shows_the_form_in_place_then_saves(engineer_client, ticket):
    item = RequirementItemFactory(ticket=ticket)
    form = engineer_client.get(url("item_edit", ticket, pk=item.pk), **HTMX).content.decode()
    assert f'id="item-edit-form-{item.pk}"' in form and 'hx-post="' in form
    response = engineer_client.post(
        url("item_edit", ticket, pk=item.pk),
        item_data(summary="导出需包含历史版本记录", kind="implicit"),
        **HTMX,
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.summary, item.kind) == ("导出需包含历史版本记录", "implicit")
    assert "item-edit-form" not in response.content.decode()


def test_plain_edit_page_works_without_javascript(engineer_client, ticket):
    item = RequirementItemFactory(ticket=ticket)
    page = engineer_client.get(url("item_edit", ticket, pk=item.pk))
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = engineer_client.post(url("item_edit", ticket, pk=item.pk), item_data(summary="新的"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.summary == "新的"


def test_htmx_move_and_delete(engineer_client, ticket):
    first = RequirementItemFactory(ticket=ticket, position=0)
    second = RequirementItemFactory(ticket=ticket, position=1)
    response = engineer_client.post(url("item_move", ticket, pk=second.pk), {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    order = list(
        RequirementItem.objects.filter(ticket=ticket).order_by("position").values_list("pk", flat=True)
    )
    assert order == [second.pk, first.pk]
    body = response.content.decode()
    assert body.index(f'id="item-{second.pk}"') < body.index(f'id="item-{first.pk}"')
    engineer_client.post(url("item_delete", ticket, pk=first.pk), **HTMX)
    assert list(RequirementItem.objects.values_list("pk", flat=True)) == [second.pk]


def test_item_of_another_ticket_is_not_found(engineer_client, ticket):
    other = RequirementItemFactory()
    response = engineer_client.post(url("item_delete", ticket, pk=other.pk))
    assert response.status_code == 404
    assert RequirementItem.objects.filter(pk=other.pk).exists()


def test_stakeholders_confirm_and_the_page_says_confirmed(engineer_client, ticket):
    RequirementItemFactory(ticket=ticket)
    engineer_client.post(url("stakeholder_add", ticket), {"name": "赵主任", "department": "生产部"}, **HTMX)
    engineer_client.post(url("stakeholder_add", ticket), {"name": "钱经理", "department": "财务部"}, **HTMX)
    people = list(Stakeholder.objects.filter(ticket=ticket))
    assert len(people) == 2
    engineer_client.post(url("stakeholder_respond", ticket, pk=people[0].pk), {"status": "confirmed"}, **HTMX)
    response = engineer_client.post(
        url("stakeholder_respond", ticket, pk=people[1].pk), {"status": "confirmed"}, **HTMX
    )
    assert 'data-confirmed="true"' in response.content.decode()


def test_dispute_without_comment_shows_an_error_on_that_stakeholder(engineer_client, ticket):
    RequirementItemFactory(ticket=ticket)
    person = StakeholderFactory(ticket=ticket)
    response = engineer_client.post(
        url("stakeholder_respond", ticket, pk=person.pk), {"status": "disputed"}, **HTMX
    )
    assert "请说明有异议之处" in response.content.decode()
    person.refresh_from_db()
    assert person.status == ConfirmationStatus.PENDING


def test_editing_after_confirmation_shows_the_reset_reason(engineer_client, ticket):
    item = RequirementItemFactory(ticket=ticket, summary="导出")
    person = StakeholderFactory(ticket=ticket, status=ConfirmationStatus.CONFIRMED)
    response = engineer_client.post(
        url("item_edit", ticket, pk=item.pk), item_data(summary="导出全部"), **HTMX
    )
    person.refresh_from_db()
    assert person.status == ConfirmationStatus.PENDING
    assert "导出全部" in person.reset_reason
    assert person.reset_reason in response.content.decode()


# ---------------------------------------------------------------- permissions


def test_anonymous_is_sent_to_login(client, ticket):
    response = client.get(url("analysis", ticket))
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("role_client", ["engineer_client", "manager_client", "admin_client_role"])
def test_service_roles_view_and_edit(request, role_client, ticket):
    client = request.getfixturevalue(role_client)
    page = client.get(url("analysis", ticket)).content.decode()
    assert 'id="item-add-form"' in page
    assert client.post(url("item_add", ticket), item_data()).status_code == 302
    export = client.get(url("export", ticket))
    assert export.status_code == 200
    export.close()


def test_user_without_role_neither_reads_nor_changes(client, no_role_user, ticket):
    item = RequirementItemFactory(ticket=ticket)
    person = StakeholderFactory(ticket=ticket)
    client.force_login(no_role_user)
    assert client.get(url("analysis", ticket)).status_code == 403
    assert client.post(url("item_add", ticket), item_data()).status_code == 403
    assert client.get(url("item_edit", ticket, pk=item.pk)).status_code == 403
    assert client.post(url("item_edit", ticket, pk=item.pk), item_data()).status_code == 403
    assert client.post(url("item_move", ticket, pk=item.pk), {"direction": "up"}).status_code == 403
    assert client.post(url("item_delete", ticket, pk=item.pk)).status_code == 403
    assert client.post(url("stakeholder_add", ticket), {"name": "x"}).status_code == 403
    assert client.post(url("stakeholder_remove", ticket, pk=person.pk)).status_code == 403
    assert (
        client.post(url("stakeholder_respond", ticket, pk=person.pk), {"status": "confirmed"}).status_code
        == 403
    )
    assert client.get(url("export", ticket)).status_code == 403
    assert RequirementItem.objects.count() == 1 and Stakeholder.objects.count() == 1


def test_a_linked_stakeholder_without_role_records_their_own_answer_only(client, ticket):
    RequirementItemFactory(ticket=ticket)
    customer_user = UserFactory(username="zhao")
    own = StakeholderFactory(ticket=ticket, user=customer_user)
    other = StakeholderFactory(ticket=ticket)
    client.force_login(customer_user)
    page = client.get(url("analysis", ticket))
    assert page.status_code == 200 and 'id="item-add-form"' not in page.content.decode()
    assert client.get(url("analysis", TicketFactory())).status_code == 403  # only their own ticket
    assert (
        client.post(url("stakeholder_respond", ticket, pk=own.pk), {"status": "confirmed"}).status_code == 302
    )
    assert (
        client.post(url("stakeholder_respond", ticket, pk=other.pk), {"status": "confirmed"}).status_code
        == 403
    )
    own.refresh_from_db()
    assert (own.status, own.responded_by) == (ConfirmationStatus.CONFIRMED, customer_user)


# ---------------------------------------------------------------- query count


@pytest.mark.parametrize("rows", [1, 10])
def test_page_query_count_does_not_grow_with_items(engineer_client, ticket, rows, django_assert_num_queries):
    people = [StakeholderFactory(ticket=ticket, user=UserFactory()) for _ in range(3)]
    for index in range(rows):
        RequirementItemFactory(ticket=ticket, created_by=people[index % 3].user)
    # session, user, ticket, items, stakeholders, ranking, permissions (user, group), bell, user choices
    with django_assert_num_queries(10):
        response = engineer_client.get(url("analysis", ticket))
    assert response.status_code == 200
