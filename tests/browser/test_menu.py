"""The menu bar at desktop widths, in both languages: with an admin's full set of entries nothing is
squeezed or cut off. In English the entries need more room, and between 1400 and about 1700 px the
tools (search, bell, name, log out) used to shrink the search box to nothing and wrap "Log out"; they
now move together to a second line."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.browser

# The search box keeps a usable width; a one-line small button is about 31 px high.
MIN_SEARCH_WIDTH = 180
MAX_BUTTON_HEIGHT = 40


def _switch_language(page, code):
    with page.expect_navigation():
        page.select_option("select[name=language]", code)


def _measure(page):
    return page.evaluate(
        """() => {
          const box = (selector) => document.querySelector(selector).getBoundingClientRect();
          const nav = document.querySelector("nav.navbar");
          const language = document.querySelector("select[name=language]");
          return {
            search: box("#menu-search input").width,
            logout: box("form[action$='/logout/'] button").height,
            overflow: nav.scrollWidth - nav.clientWidth,
            right: Math.max(...[...nav.querySelectorAll("a, button, input, select")]
                       .map((el) => el.getBoundingClientRect().right)),
            viewport: window.innerWidth,
            language: language.scrollWidth - language.clientWidth,
          };
        }"""
    )


@pytest.mark.parametrize(
    ("language", "width"),
    [("en", 1400), ("en", 1450), ("en", 1500), ("en", 1600), ("en", 1920), ("zh-hans", 1400)],
)
def test_nothing_in_the_menu_is_squeezed_or_cut_off(page, log_in, language, width):
    admin = UserFactory(username="menu-admin", first_name="系统管理员王强", role="admin", is_staff=True)
    log_in(admin)
    page.set_viewport_size({"width": width, "height": 900})
    if language != "zh-hans":
        _switch_language(page, language)
    page.goto(reverse("diagnosis:list"))
    page.wait_for_load_state("networkidle")
    sizes = _measure(page)
    assert sizes["search"] >= MIN_SEARCH_WIDTH, sizes
    assert sizes["logout"] <= MAX_BUTTON_HEIGHT, sizes  # "Log out" on one line
    assert sizes["overflow"] <= 0, sizes
    assert sizes["right"] <= sizes["viewport"], sizes
    assert sizes["language"] <= 0, sizes  # the language's name is not cut
