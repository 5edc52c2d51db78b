"""The menu's language switch names each language in its own name, whatever the page's language
(issue 17 item 11: English was listed as 英语 on Chinese pages)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="([^"]+)" lang="([^"]+)"[^>]*>([^<]+)</option>')


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("signed_in", [True, False])
def test_each_language_in_its_own_name(client, engineer, language, signed_in):
    if signed_in:
        client.force_login(engineer)
    client.cookies["django_language"] = language
    page = client.get(reverse("home") if signed_in else reverse("login")).content.decode()
    options = OPTION.findall(page)
    assert options == [("zh-hans", "zh-hans", "简体中文"), ("en", "en", "English")]
    assert "英语" not in page
    selected = re.search(r'<option value="([^"]+)"[^>]* selected>', page)
    assert selected.group(1) == language
