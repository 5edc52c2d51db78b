"""Knowledge search benchmark: N articles and M tickets of generated Chinese/English text, then time
the article search and the intake suggestions.

    createdb -h 127.0.0.1 -U postgres kbbench        # a fresh database of its own
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kbbench .venv/bin/python benchmarks/knowledge_search.py
    .venv/bin/python benchmarks/knowledge_search.py   # SQLite /tmp/bench_knowledge.sqlite3, smaller N

Defaults: 50,000 articles and 100,000 tickets on PostgreSQL; 5,000 and 10,000 on SQLite (--articles,
--tickets to change). Rows are written with bulk_create (articles, tickets, tags), then the search
documents with ``manage.py rebuild_search_index``'s service (timed: that is also the cost of a rebuild).
With --no-seed the data already there is measured.

Measured, each over --runs rounds after one warm-up round:
- search: ``knowledge.selectors.article_page`` (count + ranked page + rows + tags, highlights) for
  varied queries: 2-character words, longer Chinese, error codes, English, mixed, one character;
- the list page ``/knowledge/?q=…`` through Django's test Client (session, permissions, template);
- the suggestion endpoint ``/knowledge/suggest/?description=…&error_message=…`` for typed tickets.
Prints p50/p95/max per query and over all; targets: search p95 ≤ 100 ms, suggestion p95 ≤ 80 ms.
Not a pytest test: nothing here asserts a threshold.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from common import is_postgresql, manage, percentile, prepare_environment

DEFAULT_SQLITE = Path("/tmp/bench_knowledge.sqlite3")

# Vocabulary for generated text: what service desks write, in Chinese with English codes mixed in.
SUBJECTS = [
    "系统", "设备", "接口", "报表", "数据库", "订单", "支付页面", "打印机", "网络", "服务器", "客户端",
    "移动端", "登录页面", "审批流程", "库存模块", "财务系统", "邮件服务", "短信网关", "单点登录",
    "数据看板", "采集网关", "视频会议", "考勤机", "门禁系统", "生产线", "仓库扫码枪", "发票模块",
    "合同管理", "客服坐席", "消息推送",
]  # fmt: skip
PROBLEMS = [
    "提示验证码错误", "无法登录系统", "数据同步延迟", "页面加载缓慢", "响应超时", "导出后中文乱码",
    "打印失败", "连接频繁中断", "内存占用过高", "操作时卡顿", "权限校验失败", "证书过期",
    "时间显示错误", "金额计算不一致", "文件上传失败", "查询结果为空", "重复发送通知", "二维码无法识别",
    "统计数据不准确", "接口返回空数据", "升级后闪退", "夜间批处理未执行", "附件无法下载",
    "搜索结果不全", "推送消息延迟",
]  # fmt: skip
IMPACTS = [
    "影响3名用户提交订单", "影响生产调度", "影响整个部门办公", "部分用户受影响", "客户投诉增多",
    "月底结账受阻", "影响对外服务", "偶发,重启后恢复", "持续存在", "高峰期明显",
]  # fmt: skip
CAUSES = [
    "网络带宽不足", "验证码接口异常", "数据库连接池耗尽", "缓存失效", "配置被覆盖", "证书未续期",
    "磁盘空间不足", "索引缺失导致慢查询", "第三方服务限流", "时区设置错误", "编码设置为 GBK",
    "版本不兼容",
]  # fmt: skip
STEPS = [
    "重启相关服务", "清理缓存后重试", "检查防火墙策略", "扩容连接池", "更新证书", "回滚到上一版本",
    "调整超时时间为 30 秒", "补建索引", "修改字符集为 UTF-8", "联系运营商排查专线",
    "升级客户端到最新版本",
]  # fmt: skip
ERRORS = [
    "Error500:ConnectionTimeout", "ERR_CONNECTION_REFUSED", "HTTP 502 Bad Gateway", "ORA-01555",
    "Error404:NotFound", "NullPointerException", "SSL handshake failed",
    "java.net.SocketTimeoutException", "验证码错误,请重试", "Deadlock found when trying to get lock",
    "Error503:ServiceUnavailable", "Token expired", "",
]  # fmt: skip
ENGLISH = [
    "timeout",
    "latency",
    "gateway",
    "cache",
    "token",
    "certificate",
    "deadlock",
    "encoding",
    "upgrade",
]

SEARCHES = [
    "登录", "验证码", "数据同步", "系统", "超时", "乱码", "打印", "证书过期", "同步延迟 网络",
    "页面加载缓慢", "Error500", "error500", "ORA-01555", "NullPointerException", "timeout",
    "SSL handshake", "登录 Error500", "数据库 连接池", "卡", "二维码无法识别", "gateway 502",
    "夜间批处理", "权限", "库存模块 查询结果为空",
]  # fmt: skip
TYPED = [
    ("无法登录系统,提示验证码错误,影响3名用户提交订单", "验证码错误,请重试"),
    ("设备数据同步延迟,实时数据刷新间隔5分钟,影响生产调度", ""),
    ("订单接口响应超时", "Error500:ConnectionTimeout"),
    ("报表导出后中文乱码", ""),
    ("打印", ""),
    ("客户说财务系统月底结账时页面加载缓慢,偶尔报错", "HTTP 502 Bad Gateway"),
    ("", "ORA-01555"),
    ("升级后闪退,移动端持续存在,部分用户受影响,重启后仍然无法使用,已经收集日志", "NullPointerException"),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles", type=int, help="articles to add (default 50000 on PostgreSQL, 5000 SQLite)"
    )
    parser.add_argument(
        "--tickets", type=int, help="tickets to add (default 100000 on PostgreSQL, 10000 SQLite)"
    )
    parser.add_argument("--runs", type=int, default=10, help="timed rounds over all queries (default 10)")
    parser.add_argument("--no-seed", action="store_true", help="measure the data already in the database")
    return parser.parse_args()


def sentence(rng) -> str:
    text = f"{rng.choice(SUBJECTS)}{rng.choice(PROBLEMS)},{rng.choice(IMPACTS)}"
    if rng.random() < 0.3:
        text += f",日志中有 {rng.choice(ENGLISH)}"
    return text


def seed(args):
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from knowledge.models import Article, ArticleStatus, Tag
    from knowledge.services import search_index_rebuild
    from toolkit.choices import BusinessUrgency, ImpactScope, Priority, ProblemType, Source, Stage
    from toolkit.models import Contact, Customer, Ticket, User

    rng = random.Random(20231001)  # noqa: S311 - deterministic test data
    now = timezone.now()
    user, _ = User.objects.get_or_create(username="kbbench", defaults={"first_name": "基准"})
    user.groups.add(Group.objects.get(name="manager"))
    types = list(ProblemType.values)
    stages = [Stage.CLOSED, Stage.CLOSED, Stage.EVALUATION, Stage.DIAGNOSIS, Stage.IMPLEMENTATION]
    started = time.perf_counter()
    with transaction.atomic():
        tags = [Tag.objects.get_or_create(name=name)[0] for name in SUBJECTS[:20] + ENGLISH]
        offset = Article.objects.count()
        batch = []
        for index in range(args.articles):
            problem = rng.choice(PROBLEMS)
            code = rng.choice(ERRORS) if rng.random() < 0.2 else ""
            batch.append(
                Article(
                    title=f"{rng.choice(SUBJECTS)}{problem}" + (f"({code})" if code else ""),
                    type=rng.choice(types),
                    environment=f"{rng.choice(SUBJECTS)} {rng.randint(1, 9)}.{rng.randint(0, 9)}",
                    symptoms=";".join(sentence(rng) for _ in range(rng.randint(1, 3))),
                    error_messages=rng.choice(ERRORS),
                    root_cause=rng.choice(CAUSES),
                    solution_steps="\n".join(
                        f"{n}. {rng.choice(STEPS)}" for n in range(1, rng.randint(2, 6))
                    ),
                    prevention=f"定期检查{rng.choice(SUBJECTS)},{rng.choice(CAUSES)}时提前告警",
                    status=ArticleStatus.PUBLISHED if rng.random() < 0.85 else ArticleStatus.DRAFT,
                    author=user,
                    published_at=now - timedelta(minutes=offset + index),
                )
            )
            if len(batch) == 5000:
                Article.objects.bulk_create(batch)
                batch = []
        Article.objects.bulk_create(batch)
        through = Article.tags.through
        ids = list(
            Article.objects.filter(pk__gt=0).values_list("pk", flat=True).order_by("-pk")[: args.articles]
        )
        through.objects.bulk_create(
            [through(article_id=pk, tag_id=tag.pk) for pk in ids for tag in rng.sample(tags, 2)],
            batch_size=10000,
        )
    print(f"{args.articles:,} articles written in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with transaction.atomic():
        customer, _ = Customer.objects.get_or_create(name="基准客户")
        contact, _ = Contact.objects.get_or_create(customer=customer, name="王女士")
        base = Ticket.objects.count()
        batch = []
        for index in range(args.tickets):
            moment = now - timedelta(minutes=5 * (base + index))
            batch.append(
                Ticket(
                    number=f"KB-{base + index:08d}",
                    customer=customer,
                    contact=contact,
                    contact_details="13800000000",
                    source=Source.PHONE,
                    occurred_at=moment,
                    description=sentence(rng),
                    error_message=rng.choice(ERRORS),
                    problem_type=rng.choice(types),
                    impact_scope=ImpactScope.SOME_USERS,
                    business_urgency=BusinessUrgency.MEDIUM,
                    priority=Priority.P2,
                    suggested_priority=Priority.P2,
                    owner=user,
                    recorded_by=user,
                    recorded_at=moment,
                    stage=rng.choice(stages),
                )
            )
            if len(batch) == 5000:
                Ticket.objects.bulk_create(batch)
                batch = []
        Ticket.objects.bulk_create(batch)
    print(f"{args.tickets:,} tickets written in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    articles, tickets = search_index_rebuild()
    seconds = time.perf_counter() - started
    print(f"search index rebuilt: {articles:,} articles + {tickets:,} tickets in {seconds:.1f} s")
    if os.environ["DATABASE_URL"].startswith("postgres"):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE knowledge_article_doc")
            cursor.execute("VACUUM ANALYZE knowledge_ticket_doc")
            cursor.execute("ANALYZE knowledge_article")
            cursor.execute("ANALYZE toolkit_ticket")


def report(title, rows):
    print(f"\n{title}")
    header = f"{'query':<44} {'hits':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    every = []
    for label, hits, timings in rows:
        every.extend(timings)
        print(
            f"{label[:44]:<44} {hits:>7} {statistics.median(timings):>8.1f} "
            f"{percentile(timings, 0.95):>8.1f} {max(timings):>8.1f}"
        )
    p50, p95 = statistics.median(every), percentile(every, 0.95)
    print(f"{'ALL':<44} {'':>7} {p50:>8.1f} {p95:>8.1f} {max(every):>8.1f}")


def timed(function, runs):
    function()  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main():
    args = parse_args()
    print(f"Database: {prepare_environment(default_sqlite=DEFAULT_SQLITE, fresh=not args.no_seed)}")
    postgres = is_postgresql()
    args.articles = args.articles if args.articles is not None else (50_000 if postgres else 5_000)
    args.tickets = args.tickets if args.tickets is not None else (100_000 if postgres else 10_000)
    print(f"migrate: {manage('migrate', '--no-input', '-v', '0')[0]:.1f} s")

    import django

    django.setup()

    from django.db import connection
    from django.test import Client

    from knowledge import selectors
    from knowledge.models import Article
    from toolkit.models import Ticket, User

    if not args.no_seed:
        seed(args)
    print(f"{Article.objects.count():,} articles, {Ticket.objects.count():,} tickets ({connection.vendor})")

    rows = []
    for q in SEARCHES:
        page = selectors.article_page(q=q)
        hits = page.paginator.count
        rows.append((q, hits, timed(lambda q=q: list(selectors.article_page(q=q)), args.runs)))
    report(f"Search: selectors.article_page, first page of 20 ({args.runs} runs each)", rows)

    client = Client()
    client.force_login(User.objects.filter(groups__name="manager").first())

    def get(url):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
        return response

    rows = []
    for q in SEARCHES[:8]:
        url = "/knowledge/?" + urlencode({"q": q})
        rows.append((f"GET {url[:34]}", 0, timed(lambda url=url: get(url), args.runs)))
    report("List page /knowledge/?q= through the test client", rows)

    rows = []
    for description, error in TYPED:
        url = "/knowledge/suggest/?" + urlencode({"description": description, "error_message": error})
        label = (description or error)[:20] + f" ({len(description)} chars)"
        rows.append((label, 0, timed(lambda url=url: get(url), args.runs)))
    report("Suggestions /knowledge/suggest/ through the test client", rows)


if __name__ == "__main__":
    main()
