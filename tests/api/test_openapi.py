"""The OpenAPI document: valid OpenAPI 3 (openapi-spec-validator) and listing every operation."""

import pytest
from django.urls import URLPattern, get_resolver
from openapi_spec_validator import validate

from .conftest import api_client

pytestmark = pytest.mark.django_db


def test_the_document_is_valid_openapi_3(engineer):
    response = api_client(engineer).get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate(schema)
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


def test_the_document_lists_every_operation(engineer):
    schema = api_client(engineer).get("/api/v1/openapi.json").json()
    documented = {path.replace("{", "<").replace("}", ">") for path in schema["paths"]}
    resolver = get_resolver()
    routed = set()
    for pattern in resolver.url_patterns:
        if str(pattern.pattern) == "api/v1/":
            for inner in pattern.url_patterns:
                assert isinstance(inner, URLPattern)
                if inner.name not in ("openapi-json", "openapi-view", "api-root"):
                    routed.add("/api/v1/" + str(inner.pattern))
    assert routed == documented
    assert len(documented) >= 14
    # Every operation declares its token.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security") == [{"BearerToken": []}], (method, path)
