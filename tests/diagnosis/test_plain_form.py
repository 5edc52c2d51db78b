"""The ticket page writes its two small forms with diagnosis/_plain_form.html instead of {% crispy %}
(faster): the markup must stay what crispy's bootstrap5 pack writes, in both languages."""

from html.parser import HTMLParser

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from diagnosis.forms import ClarificationForm, LinkParentForm
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


class _Tokens(HTMLParser):
    """Start and end tags with their attributes (order aside) and the text between, spaces collapsed."""

    def __init__(self):
        super().__init__()
        self.tokens = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, tuple(sorted((name, value or "") for name, value in attrs))))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))

    def handle_data(self, data):
        if text := " ".join(data.split()):
            self.tokens.append(("text", text))


def _tokens(html):
    parser = _Tokens()
    parser.feed(html)
    return parser.tokens


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("form_class", "initial"),
    [(ClarificationForm, None), (LinkParentForm, {"parent_number": "TS-20261128-0042"})],
)
def test_the_plain_form_writes_what_crispy_writes(form_class, initial, language):
    ticket = TicketFactory()
    request = RequestFactory().get(ticket.get_absolute_url())
    crispy = engines["django"].from_string("{% load crispy_forms_tags %}{% crispy form %}")
    with translation.override(language):
        form = form_class(ticket=ticket, initial=initial)
        ours = render_to_string("diagnosis/_plain_form.html", {"form": form}, request)
        theirs = crispy.render({"form": form}, request)
    # The CSRF input is masked differently on every rendering.
    ours_tokens = [token for token in _tokens(ours) if "csrfmiddlewaretoken" not in str(token)]
    theirs_tokens = [token for token in _tokens(theirs) if "csrfmiddlewaretoken" not in str(token)]
    assert ours_tokens == theirs_tokens
    assert ticket.number in ours and 'name="csrfmiddlewaretoken"' in ours
