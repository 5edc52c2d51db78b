"""Chinese and English search on the database in use (run on SQLite and on PostgreSQL)."""

import pytest

from knowledge import selectors, textsearch
from knowledge.models import ArticleStatus
from tests.factories import TicketFactory
from tests.knowledge.factories import make_article
from toolkit.choices import ProblemType, Stage


def titles(q, **filters):
    return [article.title for article in selectors.article_page(q=q, **filters)]


@pytest.fixture
def corpus(engineer, manager):
    def add(title, **content):
        return make_article(engineer, title=title, publish_by=manager, **content)

    return {
        "captcha": add("登录失败", symptoms="提示验证码错误,影响3名用户提交订单"),
        "sync": add(
            "设备数据同步延迟", symptoms="实时数据刷新间隔5分钟,影响生产调度", type=ProblemType.PERFORMANCE
        ),
        "login": add(
            "无法登录系统", symptoms="输入密码后页面无响应", error_messages="Error500:ConnectionTimeout"
        ),
        "report": add("报表导出乱码", symptoms="导出的Excel打开后中文乱码", tags=["报表"]),
    }


def test_terms_cut_chinese_into_bigrams_and_english_into_words():
    assert textsearch.document_terms("提示验证码错误") == "提示 示验 验证 证码 码错 错误 误"
    assert textsearch.document_terms("Error500:ConnectionTimeout") == (
        "error500 error 500 connectiontimeout connection timeout"
    )
    assert textsearch.document_terms("登录Error500") == "登录 录 error500 error 500"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("验证码", "登录失败"),  # inside 提示验证码错误
        ("数据同步", "设备数据同步延迟"),
        ("Error500", "无法登录系统"),
        ("error500", "无法登录系统"),
        ("ERROR500", "无法登录系统"),
        ("timeout", "无法登录系统"),
        ("connectiontimeout", "无法登录系统"),
        ("乱码", "报表导出乱码"),
        ("excel", "报表导出乱码"),
    ],
)
def test_finds_substrings_and_codes(corpus, query, expected):
    assert titles(query)[0] == expected


def test_two_character_word_finds_the_longer_text(corpus):
    found = titles("登录")
    assert set(found) == {"无法登录系统", "登录失败"}


def test_title_matches_rank_above_body_matches(corpus, engineer, manager):
    make_article(engineer, title="打印机卡纸", symptoms="登录页面正常,打印时卡纸", publish_by=manager)
    found = titles("登录")
    assert found[-1] == "打印机卡纸"
    assert set(found[:2]) == {"无法登录系统", "登录失败"}


def test_more_matched_terms_rank_first(corpus):
    # Both titles hold 登录; only one article also holds Error500.
    assert titles("登录 Error500")[0] == "无法登录系统"
    # Body-only: 验证码 in one, 数据 in another; the one with both words wins.
    assert titles("验证码 影响")[0] == "登录失败"


def test_mixed_chinese_and_english(corpus):
    assert titles("登录Error500")[0] == "无法登录系统"
    assert "无法登录系统" in titles("中文 Error500")


def test_a_phrase_must_be_contiguous(corpus):
    assert titles("验证错误") == []  # 验证 and 错误 are both there, but not as 验证错误
    assert titles("码错") == ["登录失败"]


def test_single_character_query_finds_words_starting_or_ending_with_it(corpus):
    assert "设备数据同步延迟" in titles("延")  # 延 starts the bigram 延迟
    assert "设备数据同步延迟" in titles("迟")  # 迟 ends its run
    assert "报表导出乱码" in titles("码")  # 码 ends 乱码


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"验证码',
        "*",
        "登*",
        "OR",
        "a OR b",
        "NEAR(",
        "NEAR(登录 错误)",
        "-",
        "-登录",
        ":",
        "title:登录",
        "'",
        "''",
        "\\",
        "%",
        "登录 AND",
        "(",
        ")",
        "^",
        "{title}: x",
        "NOT 登录",
        "a:*",
        "!",
        "&",
        "|",
        "<->",
    ],
)
def test_query_syntax_characters_are_plain_text(corpus, query):
    selectors.article_page(q=query)  # never raises


def test_operator_words_are_searched_as_words(corpus, engineer, manager):
    make_article(engineer, title="OR gate near the door", publish_by=manager)
    assert titles("OR") == ["OR gate near the door"]
    assert titles("NEAR(") == ["OR gate near the door"]


def test_filters_by_type_tag_and_status(corpus, engineer):
    make_article(engineer, title="登录草稿")
    assert titles("登录", type=ProblemType.PERFORMANCE) == []
    assert titles("数据", type=ProblemType.PERFORMANCE) == ["设备数据同步延迟"]
    assert titles("乱码", tag="报表") == ["报表导出乱码"]
    assert titles("登录", tag="报表") == []
    assert "登录草稿" not in titles("登录")
    assert titles("登录", status=ArticleStatus.DRAFT) == ["登录草稿"]


def test_highlights_escape_the_text_then_mark_the_words(engineer, manager):
    make_article(
        engineer, title="<b>登录</b> & 验证码", symptoms="点击<script>登录</script>", publish_by=manager
    )
    article = list(selectors.article_page(q="登录"))[0]
    assert article.title_html == "&lt;b&gt;<mark>登录</mark>&lt;/b&gt; &amp; 验证码"
    assert "&lt;script&gt;<mark>登录</mark>&lt;/script&gt;" in article.snippet_html


def test_index_follows_edits_and_deletes(corpus, engineer, manager):
    from knowledge import services

    article = corpus["report"]
    services.article_update(article=article, by=manager, title="报表导出失败", symptoms="文件为空")
    assert titles("乱码") == []
    assert titles("导出失败") == ["报表导出失败"]
    article.delete()
    assert titles("导出") == []


def test_ticket_search_documents_follow_ticket_saves(db):
    ticket = TicketFactory(description="设备数据同步延迟,实时数据刷新间隔5分钟", stage=Stage.CLOSED)
    rows = textsearch.search(textsearch.TICKETS, textsearch.query_terms("同步")).rows
    assert [row[0] for row in rows] == [ticket.pk]
    ticket.error_message = "Error504"
    ticket.save(update_fields=["error_message"])
    rows = textsearch.search(textsearch.TICKETS, textsearch.query_terms("error504")).rows
    assert [row[0] for row in rows] == [ticket.pk]


def test_rebuild_command_restores_the_index(corpus, db):
    from django.core.management import call_command

    from knowledge.models import ArticleSearchDoc, TicketSearchDoc

    TicketFactory(description="打印机卡纸")
    ArticleSearchDoc.objects.all().delete()
    TicketSearchDoc.objects.all().delete()
    assert titles("验证码") == []
    call_command("rebuild_search_index")
    assert titles("验证码") == ["登录失败"]
    assert textsearch.search(textsearch.TICKETS, textsearch.query_terms("卡纸")).count == 1


def test_highlight_merges_overlapping_pieces_and_ignores_case():
    html = textsearch.highlight("客户无法登录系统, see ERROR500", ["无法登", "法登录", "登录系", "error500"])
    assert html == "客户<mark>无法登录系</mark>统, see <mark>ERROR500</mark>"


def test_highlight_window_around_the_first_match():
    html = textsearch.highlight("甲" * 100 + "验证码" + "乙" * 100, ["验证码"], around=5)
    assert html == "…甲甲甲甲甲<mark>验证码</mark>乙乙…"


def test_similarity_terms_use_three_character_pieces():
    terms = textsearch.similarity_terms("Error500", "无法登录系统")
    assert [term.text for term in terms] == ["error500", "无法登", "法登录", "登录系", "录系统"]
    assert len(textsearch.similarity_terms("验证码错误" * 40)) <= textsearch.MAX_SIMILARITY_TERMS


def test_large_result_sets_are_capped_on_postgresql(engineer, manager, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(textsearch, "CANDIDATES", 3)
    for index in range(5):
        make_article(engineer, title=f"报表{index}", symptoms="登录后报表为空", publish_by=manager)
    make_article(engineer, title="登录失败", publish_by=manager)
    page = selectors.article_page(q="登录")
    if connection.vendor == "postgresql":
        assert page.capped
        assert page.paginator.count <= 6
    else:
        assert not page.capped and page.paginator.count == 6
    assert page[0].title == "登录失败"  # a title match is always among the candidates


def test_suggestions_put_the_closest_text_first(engineer, manager):
    make_article(engineer, title="打印机卡纸", symptoms="打印时提示卡纸,影响报表打印", publish_by=manager)
    make_article(
        engineer,
        title="验证码错误",
        symptoms="无法登录系统,提示验证码错误,影响3名用户提交订单",
        publish_by=manager,
    )
    make_article(engineer, title="系统慢", symptoms="系统登录后页面加载缓慢", publish_by=manager)
    result = selectors.suggestions(description="客户无法登录系统,提示验证码错误")
    assert [article.title for article in result.articles][0] == "验证码错误"
    assert "打印机卡纸" not in [article.title for article in result.articles]
    assert "<mark>" in result.articles[0].snippet_html


def test_a_pasted_blob_does_not_break_saving_or_searching(engineer, manager):
    blob = "QUJD" * 1000  # 4,000 letters without a break
    ticket = TicketFactory(description=f"日志 {blob}", stage=Stage.CLOSED)
    make_article(engineer, title="日志", symptoms=blob, publish_by=manager)
    assert titles(blob) == ["日志"]
    assert [row[0] for row in textsearch.search(textsearch.TICKETS, textsearch.query_terms(blob)).rows] == [
        ticket.pk
    ]
