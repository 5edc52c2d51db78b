"""A little realistic demo knowledge: three published articles (one from the document's own example)
and a draft, linked to some of the demo tickets."""

from django.db import transaction

from toolkit.choices import ProblemType, Stage

from . import services
from .models import ArticleStatus

ARTICLES = [
    {
        "title": "登录时提示“验证码错误,请重试”",
        "type": ProblemType.FUNCTIONAL,
        "environment": "Web 门户 3.2,Chrome / Edge",
        "symptoms": "无法登录系统,提示“验证码错误”,多名用户无法提交订单。",
        "error_messages": "验证码错误,请重试",
        "root_cause": "验证码接口超时,缓存中的验证码提前失效。",
        "solution_steps": "1. 检查验证码服务日志中的 `Timeout`\n2. 将验证码缓存有效期调回 **300 秒**\n"
        "3. 重启验证码服务并请用户重新获取验证码",
        "prevention": "为验证码接口增加可用性监控,超时率超过 1% 时告警。",
        "tags": ["登录", "验证码"],
    },
    {
        "title": "设备数据同步延迟,刷新间隔变长",
        "type": ProblemType.PERFORMANCE,
        "environment": "工厂数据采集网关,专线 10 Mbps",
        "symptoms": "设备数据同步延迟,实时数据刷新间隔 5 分钟,影响生产调度。",
        "error_messages": "",
        "root_cause": "网络带宽不足,采集高峰时专线占满。",
        "solution_steps": "1. 在网关上开启数据压缩\n2. 将非实时数据改到夜间批量同步\n"
        "3. 申请专线扩容到 50 Mbps",
        "prevention": "每月检查专线利用率,超过 70% 提前扩容。",
        "tags": ["网络", "数据同步"],
    },
    {
        "title": "接口返回 Error500:ConnectionTimeout",
        "type": ProblemType.ENVIRONMENT,
        "environment": "订单服务,PostgreSQL 15",
        "symptoms": "下单接口间歇性失败,前端显示系统繁忙。",
        "error_messages": "Error500:ConnectionTimeout",
        "root_cause": "数据库连接池耗尽,慢查询占用连接。",
        "solution_steps": "1. 找出慢查询并加索引\n2. 连接池上限由 20 调到 50\n3. 给接口加 5 秒超时与重试",
        "prevention": "慢查询日志每日巡检。",
        "tags": ["数据库", "超时"],
    },
]
DRAFT = {
    "title": "报表导出后中文乱码",
    "type": ProblemType.COMPATIBILITY,
    "symptoms": "导出的 Excel 用 WPS 打开中文乱码。",
    "solution_steps": "改用 UTF-8 带 BOM 的编码导出。",
    "tags": ["报表"],
}


@transaction.atomic
def seed(*, tickets, users, now) -> None:
    author, reviewer = users["engineer"], users["manager"]
    published = []
    for content in ARTICLES:
        content = dict(content)
        tags = content.pop("tags")
        article = services.article_create(by=author, tag_names=tags, **content)
        published.append(services.article_publish(article=article, by=reviewer))
    draft = dict(DRAFT)
    services.article_create(by=author, tag_names=draft.pop("tags"), **draft)
    resolved = [ticket for ticket in tickets if ticket.stage in (Stage.EVALUATION, Stage.CLOSED)]
    for number, ticket in enumerate(resolved[:6]):
        article = published[number % len(published)]
        if article.status == ArticleStatus.PUBLISHED:
            services.article_link(article=article, ticket=ticket, by=author)
