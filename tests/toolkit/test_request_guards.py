"""Requests refused before any view runs: a NUL byte in a parameter (PostgreSQL cannot compare text
holding one, so it was a 500) and a body larger than REQUEST_MAX_BYTES. Run on SQLite and PostgreSQL."""

import pytest
from django.urls import reverse

from tests.api.conftest import api_client
from toolkit.models import Ticket

pytestmark = pytest.mark.django_db

INTAKE_HELPERS = {
    "diagnosis:similar": ["description", "error_message", "customer_name"],
    "diagnosis:suggest_priority": ["customer_name", "impact_scope", "business_urgency", "customer_tier"],
    "diagnosis:contact_names": ["customer_name"],
}


@pytest.mark.parametrize("url_name", INTAKE_HELPERS)
def test_a_nul_byte_in_an_intake_helper_parameter_is_a_400(manager_client, url_name):
    for parameter in INTAKE_HELPERS[url_name]:
        response = manager_client.get(reverse(url_name), {parameter: "TSA\x00公司"})
        assert response.status_code == 400, (url_name, parameter)
        assert "NUL" in response.content.decode()
        assert "请求中含有 NUL 字符" in response.content.decode()


def test_a_nul_byte_in_a_form_saves_nothing(engineer_client, engineer):
    response = engineer_client.post(
        reverse("diagnosis:new"),
        {"customer_name": "TSA公司", "description": "无法\x00登录", "owner": engineer.pk},
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_nul_byte_in_the_path_is_a_400(engineer_client):
    assert engineer_client.get("/diagnosis/TS-%00/").status_code == 400


def test_clean_parameters_still_pass(manager_client):
    response = manager_client.get(reverse("diagnosis:similar"), {"description": "无法登录系统"})
    assert response.status_code == 200


def test_an_oversized_body_is_refused_before_it_is_read(engineer_client, settings):
    settings.REQUEST_MAX_BYTES = 1000
    body = b"x" * 2000
    response = engineer_client.post(
        reverse("diagnosis:new"), data=body, content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert "请求过大" in response.content.decode()
    # A declared length above the limit is enough: the body is never read.
    response = engineer_client.generic(
        "POST", reverse("diagnosis:import"), b"", content_type="multipart/form-data", CONTENT_LENGTH="5000"
    )
    assert response.status_code == 413


def test_the_default_limit_leaves_room_for_the_largest_import(settings):
    assert settings.REQUEST_MAX_BYTES > settings.TICKET_IMPORT_MAX_BYTES


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("en", "The request contains a NUL character, which is never valid."),
        ("zh-hans", "请求中含有 NUL 字符"),
    ],
)
def test_the_api_gets_these_refusals_as_json_in_its_language(engineer, language, detail, settings):
    client = api_client(engineer, language=language)
    response = client.get("/api/v1/tickets", {"q": "TSA\x00公司"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert detail in response.json()["detail"] and response.json()["errors"] == {}

    settings.REQUEST_MAX_BYTES = 1000
    response = client.post("/api/v1/tickets", data=b"{}" + b" " * 2000, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"] and response.json()["errors"] == {}
