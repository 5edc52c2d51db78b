"""Inbound mail: one poll taking N mails with attachments from a real IMAP server (Dovecot on loopback).

    .venv/bin/python benchmarks/inbound_mail.py                 # 1,000 mails on /tmp/inbound-bench.sqlite3
    .venv/bin/python benchmarks/inbound_mail.py --mails 200 --tracemalloc
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mailin_bench .venv/bin/python benchmarks/inbound_mail.py

Each mail is a customer's problem report (Chinese text) with two attachments: a PNG screenshot of random
pixels (does not compress, ~30 KB) and a log file (~10 KB); a quarter come from senders no contact is
known for. The mails are APPENDed to the mailbox first (not timed); then one poll takes them all (the
poll's own time budget lifted): mails/s, MB/s, the growth of the process's peak RSS during the poll and,
with --tracemalloc, the peak of Python's traced memory. Rows and stored files are counted afterwards.
"""

import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import common

LOG_LINE = "2026-11-27 14:30:0{n} ERROR [order-service] 连接超时 ConnectionTimeout after 30000 ms\n"


def png(seed: int, size=(90, 80)) -> bytes:
    from PIL import Image

    rng = random.Random(seed)  # noqa: S311 - test data
    image = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def mail(n: int, screenshot: bytes) -> bytes:
    message = EmailMessage()
    known = n % 4 != 0
    sender = (
        f"客户{n % 50} <contact{n % 50}@customer.example.com>"
        if known
        else f"新客户 <new{n}@unknown.example>"
    )
    message["From"] = sender
    message["To"] = "support@desk.example.com"
    message["Subject"] = f"第{n}号门店无法登录系统,提示验证码错误"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="customer.example.com")
    message.set_content(
        f"您好,\n\n第{n}号门店今天上午开始无法登录系统,提示“验证码错误,请重试”,影响3名店员提交订单。\n"
        "已经重启过浏览器,问题依旧。截图和日志见附件。\n\n王女士\n"
    )
    message.add_attachment(screenshot, maintype="image", subtype="png", filename=f"截图{n}.png")
    log = "".join(LOG_LINE.format(n=i % 10) for i in range(120)).encode()
    message.add_attachment(log, maintype="text", subtype="plain", filename=f"app-{n}.log")
    return bytes(message)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()

    database = common.prepare_environment(default_sqlite=Path("/tmp/inbound-bench.sqlite3"), fresh=True)
    media = Path(tempfile.mkdtemp(prefix="inbound-bench-media-"))
    os.environ["MEDIA_ROOT"] = str(media)
    migrate_seconds, _out = common.manage("migrate", "--noinput")
    sys.path.insert(0, str(common.PROJECT))

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from attachments.models import Attachment
    from inbound import mailbox
    from inbound.models import InboundMail
    from tests.factories import ContactFactory, CustomerFactory, UserFactory
    from tests.inbound import dovecot
    from toolkit.models import Ticket

    UserFactory(username="bench-manager", role="manager")
    customer = CustomerFactory(name="基准客户")
    for i in range(50):
        ContactFactory(customer=customer, name=f"客户{i}", email=f"contact{i}@customer.example.com")

    server = dovecot.start()
    try:
        screenshots = [png(seed) for seed in range(20)]
        total_bytes = 0
        append_seconds = 0.0
        # Made and delivered 50 at a time, so the process's peak RSS before the poll stays low.
        for first in range(0, args.mails, 50):
            raws = [
                mail(n, screenshots[n % len(screenshots)]) for n in range(first, min(first + 50, args.mails))
            ]
            total_bytes += sum(len(raw) for raw in raws)
            started = time.perf_counter()
            server.deliver(*raws)
            append_seconds += time.perf_counter() - started
        del raws

        settings.INBOUND_EMAIL_URL = server.url()
        config = mailbox.configured()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if args.tracemalloc:
            tracemalloc.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        outcome = mailbox.poll(config=config, time_budget=float("inf"))
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        unseen_left = len(server.unseen())
    finally:
        dovecot.stop(server)

    stored = sum(path.stat().st_size for path in media.rglob("*") if path.is_file())
    size_each = total_bytes / args.mails / 1024
    rate = outcome.fetched_bytes / 1e6 / seconds
    rss_growth, rss_peak = (rss_after - rss_before) / 1024, rss_after / 1024
    print(f"database: {connection.vendor} ({database.split('@')[-1]}); migrate {migrate_seconds:.1f} s")
    print(f"mails: {args.mails}, {total_bytes / 1e6:.1f} MB in all ({size_each:.1f} KB each)")
    print(f"APPEND to Dovecot (not timed in the poll): {append_seconds:.1f} s")
    print(f"poll: {seconds:.1f} s — {args.mails / seconds:.1f} mails/s, {rate:.2f} MB/s")
    # On a shared machine the wall clock counts others' work too: this process's own CPU time does not.
    print(
        f"CPU time of this process: {cpu_seconds:.1f} s — {args.mails / cpu_seconds:.1f} mails per CPU second"
    )
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"outcome: {dict(outcome.statuses)}; taken before {outcome.already_taken}; left {outcome.left}")
    print(f"peak RSS growth during the poll: {rss_growth:.1f} MB (peak RSS {rss_peak:.1f} MB)")
    if traced_peak is not None:
        print(f"tracemalloc peak during the poll: {traced_peak / 1e6:.1f} MB")
    print(
        f"rows: {Ticket.objects.count()} tickets, {InboundMail.objects.count()} inbound mails, "
        f"{Attachment.objects.count()} attachments; stored files {stored / 1e6:.1f} MB; "
        f"unseen left {unseen_left}"
    )


if __name__ == "__main__":
    main()
