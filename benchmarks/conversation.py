"""Conversation benchmark: a ticket page with a long conversation and many files.

    .venv/bin/python benchmarks/conversation.py [--entries 200] [--files 50] [--runs 30]

Without DATABASE_URL it works on a throwaway SQLite file (/tmp/bench_conversation.sqlite3, deleted first);
with DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/convbench, a database you created for this)
it migrates and adds its tickets to whatever is there. Files go to a throwaway MEDIA_ROOT
(/tmp/bench_conversation_media). `manage.py seed_demo --tickets 20` (timed, in a subprocess) makes the
demo users and some other tickets; then, through the real services, one ticket gets --entries
conversation entries (replies, internal notes and customer messages in turn, plus a clarification and
stage changes for the history) with --files PNG screenshots spread over its messages, and a second
ticket gets 3 entries and 1 file, for the query comparison.

Requested with Django's test Client logged in as the demo engineer (the tickets' owner), in this process,
with DJANGO_DEBUG=1 as in development: the ticket page /diagnosis/<number>/ and the card alone
/conversation/<number>/ (as htmx asks for it: the newest entries, and ?all=1 every entry). Prints
p50/p95/max over --runs requests after one warm-up, and the SQL queries per request for the small and
the large ticket: they must be the same (no query per entry).
Not a pytest test: nothing here asserts a threshold.
"""

import argparse
import io
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from common import manage, percentile, prepare_environment

DEFAULT_SQLITE = Path("/tmp/bench_conversation.sqlite3")
MEDIA = Path("/tmp/bench_conversation_media")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=200, help="conversation entries (default 200)")
    parser.add_argument("--files", type=int, default=50, help="attachments on its messages (default 50)")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page (default 30)")
    return parser.parse_args()


def png(index: int):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (index * 5 % 255, 80, 160)).save(buffer, "PNG")
    return SimpleUploadedFile(f"screenshot-{index:03d}.png", buffer.getvalue(), content_type="image/png")


def build_ticket(*, owner, entries: int, files: int):
    """A ticket logged through ticket_create with `entries` messages and `files` screenshots on them."""
    from django.utils import timezone

    from conversation import services
    from toolkit import services as core
    from toolkit.choices import Priority, ProblemType, Source, Stage
    from toolkit.models import Contact, Customer

    customer, _ = Customer.objects.get_or_create(name="基准测试客户")
    contact, _ = Contact.objects.get_or_create(
        customer=customer, name="王女士", defaults={"email": "wang@example.com", "details": "13856785678"}
    )
    ticket = core.ticket_create(
        recorded_by=owner,
        owner=owner,
        customer=customer,
        contact=contact,
        contact_details="13856785678",
        source=Source.EMAIL,
        occurred_at=timezone.now(),
        description="系统无法登录,提示验证码错误\n影响3名用户提交订单",
        problem_type=ProblemType.FUNCTIONAL,
        priority=Priority.P1,
        suggested_priority=Priority.P1,
    )
    core.ticket_add_clarification(ticket=ticket, text="客户补充:仅 Chrome 出现", by=owner)
    core.ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="开始诊断", by=owner)
    messages = []
    for index in range(entries):
        kind = index % 3
        body = f"第 {index} 条:请清除浏览器缓存后再试,若仍有问题请回复截图。\n第二行 {index}"
        if kind == 0:
            messages.append(services.reply_send(ticket=ticket, body=body, by=owner))
        elif kind == 1:
            messages.append(services.note_add(ticket=ticket, body=body, by=owner))
        else:
            messages.append(
                services.customer_message_receive(
                    ticket=ticket,
                    body=body,
                    channel="email",
                    from_address="wang@example.com",
                    sender_name="王女士",
                    message_id=f"<bench-{ticket.number}-{index}@customer.cn>",
                )
            )
    if files:
        from attachments.services import attachments_add

        for index in range(files):
            message = messages[index % len(messages)]
            attachments_add(ticket=ticket, files=[png(index)], by=owner, target=message)
    return ticket


def main():
    args = parse_args()
    os.environ.setdefault("MEDIA_ROOT", str(MEDIA))
    shutil.rmtree(MEDIA, ignore_errors=True)
    print(f"Database: {prepare_environment(default_sqlite=DEFAULT_SQLITE, fresh=True)}")
    print(f"migrate: {manage('migrate', '--no-input', '-v', '0')[0]:.1f} s")
    seconds, _ = manage("seed_demo", "--tickets", "20", "--no-history")
    print(f"seed_demo --tickets 20 --no-history: {seconds:.1f} s")

    import django

    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from toolkit.models import User

    settings.ALLOWED_HOSTS = ["*"]
    owner = User.objects.get(username="engineer")
    started = time.perf_counter()
    big = build_ticket(owner=owner, entries=args.entries, files=args.files)
    small = build_ticket(owner=owner, entries=3, files=1)
    print(
        f"built {big.number} ({args.entries} entries, {args.files} files) and {small.number} "
        f"(3 entries, 1 file) through the services: {time.perf_counter() - started:.1f} s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    client = Client()
    client.force_login(owner)

    def get(url):
        # The card as the ticket page's "show all" and refresh ask for it: under htmx, a fragment.
        headers = {"HX-Request": "true"} if url.startswith("/conversation/") else {}
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
        return response

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            get(url)
        return len(captured.captured_queries)

    rows = []
    pages = [
        ("ticket page", "/diagnosis/{}/"),
        ("card (htmx)", "/conversation/{}/"),
        ("card, all entries", "/conversation/{}/?all=1"),
    ]
    for label, path in pages:
        big_url, small_url = path.format(big.number), path.format(small.number)
        get(big_url)  # warm-up: templates, the database's page cache
        get(small_url)
        counts = (queries(small_url), queries(big_url))
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            get(big_url)
            timings.append((time.perf_counter() - started) * 1000)
        size = len(get(big_url).content)
        rows.append((label, counts, timings, size))

    print(f"\nPages of {big.number} ({args.runs} timed requests each after one warm-up; {connection.vendor})")
    queries_label = f"queries 3/{args.entries}"
    header = f"{'request':<20} {queries_label:>14} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KiB':>6}"
    print(header)
    print("-" * len(header))
    for label, (few, many), timings, size in rows:
        print(
            f"{label:<20} {f'{few} / {many}':>14} {statistics.median(timings):>8.1f} "
            f"{percentile(timings, 0.95):>8.1f} {max(timings):>8.1f} {size / 1024:>6.0f}"
        )
    constant = all(few == many for _label, (few, many), _t, _s in rows)
    print(f"\nquery count constant as the conversation grows: {'yes' if constant else 'NO'}")


if __name__ == "__main__":
    main()
