"""Our Excel writer (toolkit.excel.write_table) against bare openpyxl write-only on the same rows.

    python benchmarks/export_vs_bare.py [--rows 100000] [--repeat 2] [--from-db]

Rows are shaped like the diagnosis table (技术服务问题快速诊断表: 15 columns — numbers, ticket numbers,
Chinese names and free text, phone numbers, two date-times). By default they are generated (the same
every run); with --from-db they are the database's tickets (DATABASE_URL, else this script's SQLite
file), written by the diagnosis export's own row function and repeated until there are --rows.

Each run is a child process that first builds the rows in memory, then writes them once, so its peak
RSS growth is the writer's own. Runs are interleaved (ours, bare, ours, bare …) because the machine
may be shared: wall time is noisy, CPU time (time.process_time) much less. Bare openpyxl gets the
values as it needs them (naive local date-times, no styles, nothing sanitised); ours gets what an
export hands it (aware date-times, text to neutralise) and adds the title, header styles, column
widths, frozen panes, auto-filter, date formats and wrapping.

Prints rows/s, wall and CPU seconds, peak RSS growth and file size per writer, then the ratios
ours / bare (target ≤ 1.2).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from common import PROJECT, prepare_environment

SQLITE = Path(tempfile.gettempdir()) / "benchmark_export_vs_bare.sqlite3"
ZONE = ZoneInfo("Asia/Shanghai")
WORDS = [
    "登录",
    "验证码",
    "报表",
    "打印机",
    "同步",
    "数据库连接",
    "超时",
    "VPN",
    "邮件",
    "磁盘已满",
    "Error500",
]


def synthetic_rows(count: int) -> list[list]:
    start = datetime(2026, 1, 1, 9, 0, tzinfo=ZONE)
    rows = []
    for index in range(1, count + 1):
        occurred = start + timedelta(minutes=7 * index)
        words = " ".join(WORDS[(index + k) % len(WORDS)] for k in range(6))
        rows.append(
            [
                index,
                f"TS-{occurred:%Y%m%d}-{index % 10000:04d}",
                f"客户{index % 500}有限公司",
                "张女士" if index % 2 else "李*",
                f"138****{index % 10000:04d}" if index % 3 else f"139{index % 100000000:08d}",
                "电话" if index % 4 else "邮件",
                occurred,
                f"用户反馈{words}，影响{index % 50}人使用" + ("" if index % 17 else "\n=SUM(A1) 复现步骤"),
                "" if index % 5 else f"Error {index % 999}: connection reset",
                "功能" if index % 3 else "性能",
                f"P{index % 4}",
                f"初步判断：{words} (to be verified)" if index % 7 == 0 else f"初步判断：{words}",
                f"工程师{index % 40}",
                f"值班{index % 10}",
                occurred + timedelta(minutes=5),
            ]
        )
    return rows


def database_rows(count: int) -> list[list]:
    import django

    django.setup()
    from diagnosis.exports import _labels, diagnosis_row
    from toolkit.choices import ProblemType, Source
    from toolkit.models import Ticket, User

    user = User.objects.filter(is_superuser=True).first() or User.objects.first()
    labels = {"source": _labels(Source), "problem_type": _labels(ProblemType)}
    tickets = list(
        Ticket.objects.select_related("customer", "contact", "owner", "recorded_by").order_by("pk")[:count]
    )
    if not tickets:
        sys.exit("No tickets in the database: run manage.py seed_demo first, or leave out --from-db.")
    return [diagnosis_row(i, tickets[(i - 1) % len(tickets)], user, labels) for i in range(1, count + 1)]


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def child(writer: str, count: int, from_db: bool) -> None:
    """One measured run in this (fresh) process; prints one JSON line."""
    import django

    django.setup()
    from django.utils import translation

    translation.activate("zh-hans")
    rows = database_rows(count) if from_db else synthetic_rows(count)
    if writer == "bare":
        rows = [
            [v.astimezone(ZONE).replace(tzinfo=None) if isinstance(v, datetime) else v for v in r]
            for r in rows
        ]
    baseline = current_rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    if writer == "ours":
        from toolkit.excel import Column, write_table

        columns = [
            Column(
                f"c{i}",
                f"列{i}",
                12,
                "datetime" if isinstance(v, datetime) else "number" if i == 0 else "text",
            )
            for i, v in enumerate(rows[0])
        ]
        exported = write_table(title="技术服务问题快速诊断表", columns=columns, rows=rows, filename="x.xlsx")
        handle = exported.file
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("sheet")
        for row in rows:
            sheet.append(row)
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
        workbook.save(handle)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    size = handle.seek(0, os.SEEK_END)
    print(json.dumps({"wall": wall, "cpu": cpu, "rss": max(max_rss_mib() - baseline, 0.0), "bytes": size}))


def run_child(writer: str, count: int, from_db: bool) -> dict:
    command = [sys.executable, __file__, "--child", writer, "--rows", str(count)] + (
        ["--from-db"] if from_db else []
    )
    result = subprocess.run(command, cwd=PROJECT, env=os.environ, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        sys.exit(f"{writer} run failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each writer, interleaved")
    parser.add_argument("--from-db", action="store_true", help="rows from the database's tickets")
    parser.add_argument("--child", choices=["ours", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    database = prepare_environment(default_sqlite=SQLITE, fresh=False)
    if args.child:
        child(args.child, args.rows, args.from_db)
        return
    if args.from_db:
        from common import manage

        manage("migrate", "--no-input")
    print(
        f"{args.rows:,} rows, {'from ' + database if args.from_db else 'generated'}; {args.repeat} runs each"
    )
    results: dict[str, list[dict]] = {"ours": [], "bare": []}
    for run in range(args.repeat):
        for writer in ("ours", "bare") if run % 2 == 0 else ("bare", "ours"):
            measured = run_child(writer, args.rows, args.from_db)
            results[writer].append(measured)
            print(
                f"  run {run + 1} {writer:4}: {measured['wall']:6.1f} s wall, {measured['cpu']:6.1f} s CPU,"
                f" peak RSS +{measured['rss']:.0f} MiB"
            )
    median = {w: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for w, rs in results.items()}
    print(f"\n{'writer':28} {'rows/s':>8} {'wall s':>7} {'CPU s':>7} {'peak RSS':>9} {'file':>8}")
    for writer, label in (("ours", "ours (toolkit.excel)"), ("bare", "bare openpyxl write-only")):
        m = median[writer]
        print(
            f"{label:28} {args.rows / m['wall']:8,.0f} {m['wall']:7.1f} {m['cpu']:7.1f}"
            f" {m['rss']:6.0f} MiB {m['bytes'] / 1e6:5.1f} MB"
        )
    wall_ratio = median["ours"]["wall"] / median["bare"]["wall"]
    cpu_ratio = median["ours"]["cpu"] / median["bare"]["cpu"]
    print(f"\nexport ratio ours/bare: {wall_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= 1.2x)")


if __name__ == "__main__":
    main()
