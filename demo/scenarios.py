"""The demo's problem scenarios: everything one kind of problem brings with it, in one place.

A generated ticket takes its symptom, error message, type, preliminary judgement and owner from one
scenario; the chapters' demo data then give that ticket the scenario's requirement items, solution
options (option A's approach lines become the implementation plan), verification note, improvement
action and knowledge article. So a printing problem gets a printing solution, never a captcha one.

Plain data. Judgements are unique across the catalogue: a ticket's judgement names its scenario
(``scenario_of``), also for tickets of an earlier run and the document's two rows.
"""

from dataclasses import dataclass
from decimal import Decimal

from toolkit.choices import ProblemType


@dataclass(frozen=True)
class Need:
    """A requirement item (chapter 2): what the customer says, and what they need."""

    summary: str
    surface_need: str
    essential_need: str


@dataclass(frozen=True)
class Constraint:
    summary: str
    amount: Decimal | None = None  # an amount in 元, else a text constraint
    text: str = ""


@dataclass(frozen=True)
class Option:
    """A solution option (chapter 3). Each line of `approach` is one step of the plan (chapter 4)."""

    approach: str
    estimated_cost: Decimal
    duration_days: int
    people: int
    expected_effect: str
    risk_level: str  # solutions.models.Level value
    pros: str
    cons: str


@dataclass(frozen=True)
class Article:
    """The scenario's knowledge article (chapter 6); a draft when not `published`."""

    title: str
    environment: str
    symptoms: str
    error_messages: str
    root_cause: str
    solution_steps: str
    prevention: str
    tags: tuple[str, ...]
    published: bool = True


@dataclass(frozen=True)
class Scenario:
    key: str
    problem_type: str
    weight: int  # how often it comes in, relative to the others
    symptoms: tuple[str, ...]  # the description opens with one of these (现象), the impact follows
    errors: tuple[str, ...]  # "" = the customer saw none; "无" is how the document writes the same
    judgements: tuple[str, ...]  # 初步判断, unique across the catalogue
    owners: tuple[str, ...]  # usernames of who works this kind of problem (demo.people)
    explicit: Need
    implicit: Need
    constraint: Constraint
    options: tuple[Option, Option]  # A is chosen and approved
    risk: tuple[str, str]  # (risk, mitigation)
    rollback: str
    verification: str
    improvement: str
    article: Article


SCENARIOS = [
    Scenario(
        key="login_captcha",
        problem_type=ProblemType.FUNCTIONAL,
        weight=10,
        symptoms=(
            "无法登录系统,提示“验证码错误”",
            "登录页验证码图片无法显示",
            "输入正确的验证码仍提示验证码已过期",
        ),
        errors=("“验证码错误,请重试”", "“验证码已过期”", ""),
        judgements=("验证码接口异常", "验证码缓存失效"),
        owners=("engineer", "support_liu"),
        explicit=Need("恢复登录与验证码校验", "客户要求尽快恢复登录", "保证订单提交等业务不中断"),
        implicit=Need(
            "验证码服务故障时有备用验证方式", "用户看不懂“验证码错误”的提示", "减少故障期间的客服咨询量"
        ),
        constraint=Constraint("改造预算上限", amount=Decimal("80000")),
        options=(
            Option(
                "查看验证码服务日志定位超时\n扩容验证码服务并调回缓存有效期\n增加超时熔断与短信备用验证\n"
                "灰度发布并监控登录成功率",
                Decimal("50000"), 6, 2, "登录成功率恢复到99.9%", "medium", "改动小,见效快", "需要短暂停机",
            ),
            Option(
                "评估新的验证码供应商\n开发对接新接口\n全量切换并下线旧服务",
                Decimal("120000"), 20, 3, "根本解决验证码不稳定", "high", "长期稳定", "成本高,周期长",
            ),
        ),
        risk=("扩容期间验证码服务短暂不可用", "选择夜间低峰发布,提前通知客户"),
        rollback="1. 切回原验证码实例\n2. 恢复原缓存配置\n3. 通知客户重新登录",
        verification="连续20次获取并校验验证码均成功,用户可正常登录提交订单",
        improvement="为验证码服务增加可用性监控和告警",
        article=Article(
            title="登录时提示“验证码错误,请重试”",
            environment="Web 门户 3.2,Chrome / Edge",
            symptoms="无法登录系统,提示“验证码错误”,多名用户无法提交订单。",
            error_messages="验证码错误,请重试",
            root_cause="验证码接口超时,缓存中的验证码提前失效。",
            solution_steps="1. 检查验证码服务日志中的 `Timeout`\n2. 将验证码缓存有效期调回 **300 秒**\n"
            "3. 重启验证码服务并请用户重新获取验证码",
            prevention="为验证码接口增加可用性监控,超时率超过 1% 时告警。",
            tags=("登录", "验证码"),
        ),
    ),
    Scenario(
        key="data_sync",
        problem_type=ProblemType.FUNCTIONAL,
        weight=6,
        symptoms=(
            "设备数据同步延迟,实时数据刷新间隔5分钟",
            "生产看板数据不刷新,停留在半小时前",
            "门店销售数据同步到总部延迟超过1小时",
        ),
        errors=("无", "", "同步队列积压:pending=12000"),
        judgements=("网络带宽不足", "同步任务积压"),
        owners=("network_chen", "engineer"),
        explicit=Need("恢复实时数据同步", "看板数据刷新太慢", "生产调度依据实时数据做决策"),
        implicit=Need("同步延迟超过阈值时主动告警", "客户发现数据不对才来反馈", "在影响调度之前发现延迟"),
        constraint=Constraint("专线扩容预算上限", amount=Decimal("30000")),
        options=(
            Option(
                "在采集网关开启数据压缩\n非实时数据改为夜间批量同步\n申请专线扩容到50 Mbps\n"
                "观察一周并调整同步频率",
                Decimal("30000"), 7, 2, "数据刷新间隔恢复到10秒以内", "low", "分步实施,风险低",
                "专线扩容需运营商排期",
            ),
            Option(
                "部署边缘缓存节点\n同步程序改造为增量推送\n切换并下线旧同步任务",
                Decimal("90000"), 25, 3, "彻底消除带宽瓶颈", "medium", "扩展性好", "开发量大,周期长",
            ),
        ),
        risk=("开启压缩后网关CPU升高", "先在一条产线试点,观察CPU与延迟"),
        rollback="1. 关闭网关压缩\n2. 恢复原同步计划\n3. 通知生产部门",
        verification="现场与客户一起验证,生产调度数据刷新正常,间隔稳定在10秒以内",
        improvement="梳理高峰期带宽容量,制定专线扩容预案",
        article=Article(
            title="设备数据同步延迟,刷新间隔变长",
            environment="工厂数据采集网关,专线 10 Mbps",
            symptoms="设备数据同步延迟,实时数据刷新间隔 5 分钟,影响生产调度。",
            error_messages="",
            root_cause="网络带宽不足,采集高峰时专线占满。",
            solution_steps="1. 在网关上开启数据压缩\n2. 将非实时数据改到夜间批量同步\n"
            "3. 申请专线扩容到 50 Mbps",
            prevention="每月检查专线利用率,超过 70% 提前扩容。",
            tags=("网络", "数据同步"),
        ),
    ),
    Scenario(
        key="printing",
        problem_type=ProblemType.COMPATIBILITY,
        weight=8,
        symptoms=(
            "打印单据时打印机无响应",
            "升级系统补丁后无法连接共享打印机",
            "麒麟操作系统下打印功能异常",
        ),
        errors=("错误 0x0000011b", "“打印后台处理程序服务没有运行”", ""),
        judgements=("打印驱动版本不匹配", "系统补丁导致共享打印机认证失败"),
        owners=("support_liu", "engineer"),
        explicit=Need("恢复单据打印", "点了打印没反应", "保证单据当天打印并随货发出"),
        implicit=Need("系统升级后打印驱动自动适配", "每次升级都要重新装驱动", "减少升级后的打印故障"),
        constraint=Constraint("不更换现有打印机", text="沿用现有打印机型号,不新增硬件"),
        options=(
            Option(
                "收集打印机型号与系统版本\n安装厂商适配的新版驱动\n调整共享打印机的认证策略\n逐台测试打印",
                Decimal("8000"), 3, 1, "单据打印恢复正常", "low", "无需更换硬件", "需逐台安装",
            ),
            Option(
                "部署集中打印服务器\n统一下发驱动与打印队列\n下线各终端的本地驱动",
                Decimal("45000"), 12, 2, "驱动集中管理,升级后不再失效", "medium", "便于统一维护",
                "需要新增服务器",
            ),
        ),
        risk=("新驱动与旧系统不兼容", "保留旧驱动安装包,先在一台终端试装"),
        rollback="1. 卸载新驱动\n2. 重新安装原驱动\n3. 恢复原认证策略",
        verification="在客户现场连续打印20张单据,内容完整、无错位",
        improvement="系统补丁发布前先在打印测试机上验证",
        article=Article(
            title="打印机无响应或报错 0x0000011b",
            environment="Windows 10/11、银河麒麟 V10,网络共享打印机",
            symptoms="打印单据时打印机无响应,或连接共享打印机时报错 0x0000011b。",
            error_messages="错误 0x0000011b\n打印后台处理程序服务没有运行",
            root_cause="系统安全补丁提高了共享打印机的认证级别,旧版打印驱动无法通过认证。",
            solution_steps="1. 确认打印机型号与操作系统版本\n2. 安装厂商提供的新版驱动\n"
            "3. 在打印服务器上调整认证策略后重启 **Print Spooler** 服务\n4. 打印测试页确认",
            prevention="系统补丁先在打印测试机上验证,再推送到各终端。",
            tags=("打印", "驱动"),
        ),
    ),
    Scenario(
        key="slow_report",
        problem_type=ProblemType.PERFORMANCE,
        weight=8,
        symptoms=(
            "报表生成耗时超过5分钟",
            "月度汇总报表打开缓慢,经常超时",
            "按部门查询报表时页面加载超10秒",
        ),
        errors=("Query timeout after 30s", "504 Gateway Timeout", ""),
        judgements=("疑似数据库索引问题", "慢查询未优化"),
        owners=("dba_wang", "engineer"),
        explicit=Need("报表在30秒内生成", "报表太慢,等不起", "月底按时完成经营分析"),
        implicit=Need("大数据量报表改为后台生成后通知", "用户反复点刷新", "避免报表拖慢其他业务"),
        constraint=Constraint("变更不影响白天业务", text="数据库变更只在22:00以后进行"),
        options=(
            Option(
                "抓取慢查询并分析执行计划\n为报表查询补充组合索引\n历史数据按月分区\n压测验证后上线",
                Decimal("20000"), 5, 1, "报表生成时间降到30秒以内", "medium", "不改应用代码",
                "加索引需要维护窗口",
            ),
            Option(
                "搭建只读报表库\n配置主从同步\n报表查询切换到只读库",
                Decimal("60000"), 15, 2, "报表与业务互不影响", "medium", "彻底隔离报表负载",
                "多一套数据库要维护",
            ),
        ),
        risk=("建索引期间锁表", "使用在线建索引,在夜间执行"),
        rollback="1. 删除新建索引\n2. 恢复原查询语句\n3. 通知客户",
        verification="同一报表连续生成5次,平均耗时由6分钟降至20秒",
        improvement="慢查询日志每日巡检,超过5秒的查询进入优化清单",
        article=Article(
            title="报表生成缓慢或提示 Query timeout",
            environment="报表中心 2.x,MySQL 8.0",
            symptoms="报表生成耗时超过 5 分钟,或页面提示查询超时。",
            error_messages="Query timeout after 30s",
            root_cause="报表查询缺少组合索引,历史数据全表扫描。",
            solution_steps="1. 用慢查询日志找出报表语句\n2. 按执行计划补充 **(部门, 日期)** 组合索引\n"
            "3. 历史数据按月分区",
            prevention="慢查询日志每日巡检,新报表上线前做数据量压测。",
            tags=("报表", "慢查询", "数据库"),
        ),
    ),
    Scenario(
        key="slow_pages",
        problem_type=ProblemType.PERFORMANCE,
        weight=7,
        symptoms=("首页打开缓慢,经常转圈超过15秒", "系统卡顿,点击后3-5秒才响应", "页面加载超10秒"),
        errors=("504 Gateway Timeout", ""),
        judgements=("缓存失效", "应用服务器资源不足"),
        owners=("ops_sun", "frontend_zhao"),
        explicit=Need("页面3秒内打开", "系统太卡", "高峰期也能正常办理业务"),
        implicit=Need("高峰前自动扩容", "每到月底就卡", "容量跟上业务增长"),
        constraint=Constraint("不停机完成优化", text="业务时间不得停机"),
        options=(
            Option(
                "排查缓存命中率与服务器负载\n修复缓存失效配置\n静态资源启用压缩与CDN\n高峰期压测验证",
                Decimal("15000"), 4, 2, "页面平均打开时间降到2秒", "low", "见效快", "只解决当前瓶颈",
            ),
            Option(
                "应用服务器扩容为集群\n配置负载均衡\n滚动切换流量",
                Decimal("80000"), 14, 3, "支撑三倍并发", "medium", "容量充足", "硬件成本高",
            ),
        ),
        risk=("缓存配置变更导致数据不一致", "变更后清理缓存并抽查关键页面"),
        rollback="1. 恢复原缓存配置\n2. 关闭CDN加速\n3. 通知客户",
        verification="监控显示页面平均响应时间由8秒降至1.5秒,持续24小时",
        improvement="为关键页面配置响应时间监控,超过3秒告警",
        article=Article(
            title="页面打开缓慢、504 Gateway Timeout",
            environment="Web 门户,Nginx + Redis 缓存",
            symptoms="首页打开缓慢,经常转圈超过 15 秒,偶尔返回 504。",
            error_messages="504 Gateway Timeout",
            root_cause="缓存键过期时间配置错误,缓存全部失效,请求直接打到数据库。",
            solution_steps="1. 检查缓存命中率\n2. 修正缓存过期时间并预热热点数据\n3. 静态资源开启 gzip 压缩",
            prevention="发布前检查缓存配置,监控缓存命中率。",
            tags=("性能", "缓存"),
        ),
    ),
    Scenario(
        key="database_connection",
        problem_type=ProblemType.ENVIRONMENT,
        weight=7,
        symptoms=(
            "数据库连接中断,系统提示繁忙",
            "下单接口间歇性失败,前端显示系统繁忙",
            "高峰期保存数据频繁失败",
        ),
        errors=("Error500:ConnectionTimeout", "ORA-12170: TNS:Connect timeout occurred", ""),
        judgements=("数据库连接池耗尽", "数据库服务宕机"),
        owners=("dba_wang", "ops_sun"),
        explicit=Need("恢复数据库连接稳定", "系统老是报繁忙", "订单不丢失"),
        implicit=Need("连接异常时自动重试", "失败后用户只能重新录入", "避免重复录入和数据丢失"),
        constraint=Constraint("数据库升级预算上限", amount=Decimal("50000")),
        options=(
            Option(
                "找出占用连接的慢查询并加索引\n连接池上限由20调到50\n接口增加5秒超时与重试\n监控连接数一周",
                Decimal("10000"), 3, 1, "接口失败率降到0.1%以下", "low", "改动小", "高峰容量仍有限",
            ),
            Option(
                "数据库升级为主备集群\n应用改为读写分离\n切换并演练故障转移",
                Decimal("150000"), 30, 3, "数据库高可用", "high", "可靠性高", "投入大,周期长",
            ),
        ),
        risk=("连接池调大后数据库负载升高", "逐步调大并观察数据库CPU"),
        rollback="1. 连接池恢复原上限\n2. 撤销索引变更\n3. 通知客户",
        verification="监控显示接口错误率已降至0.1%以下,持续24小时",
        improvement="数据库连接数与慢查询纳入日常巡检",
        article=Article(
            title="接口返回 Error500:ConnectionTimeout",
            environment="订单服务,PostgreSQL 15",
            symptoms="下单接口间歇性失败,前端显示系统繁忙。",
            error_messages="Error500:ConnectionTimeout",
            root_cause="数据库连接池耗尽,慢查询占用连接。",
            solution_steps="1. 找出慢查询并加索引\n2. 连接池上限由 20 调到 50\n3. 给接口加 5 秒超时与重试",
            prevention="慢查询日志每日巡检。",
            tags=("数据库", "超时"),
        ),
    ),
    Scenario(
        key="vpn",
        problem_type=ProblemType.ENVIRONMENT,
        weight=6,
        symptoms=("VPN连接后无法访问内网系统", "出差人员VPN频繁掉线", "VPN客户端连接时提示认证失败"),
        errors=("ERR_CONNECTION_TIMED_OUT", "错误 809:无法建立VPN连接", ""),
        judgements=("VPN路由配置错误", "VPN网关并发数已满"),
        owners=("network_chen",),
        explicit=Need("远程人员能访问内网系统", "在外面连不上系统", "出差和居家办公不受影响"),
        implicit=Need("VPN账号与员工入离职同步", "新员工要等几天才能开通", "开通快、回收及时"),
        constraint=Constraint("符合公司安全规范", text="远程访问须双因素认证"),
        options=(
            Option(
                "核对VPN网关路由表\n补充内网网段路由\n调整并发授权数\n远程人员逐一测试",
                Decimal("12000"), 2, 1, "VPN连接后可访问全部内网系统", "low", "当天可完成",
                "授权扩容需采购",
            ),
            Option(
                "部署零信任访问网关\n按应用授权访问\n逐步替换传统VPN",
                Decimal("100000"), 30, 2, "按应用授权,更安全", "medium", "安全性高", "改造周期长",
            ),
        ),
        risk=("路由变更影响现有连接", "在下班后变更,保留原路由配置备份"),
        rollback="1. 恢复原路由表\n2. 恢复原授权配置\n3. 通知远程人员重连",
        verification="远程测试5个地区的账号,VPN连接后均可访问内网系统",
        improvement="VPN并发数达到80%时告警,提前扩容",
        article=Article(
            title="VPN 已连接但无法访问内网系统",
            environment="SSL VPN 网关,Windows / macOS 客户端",
            symptoms="VPN 显示已连接,访问内网系统超时。",
            error_messages="ERR_CONNECTION_TIMED_OUT",
            root_cause="新增内网网段未下发到 VPN 路由表。",
            solution_steps="1. 在客户端执行 `route print` 查看路由\n2. 在网关补充内网网段路由\n"
            "3. 客户端重新连接",
            prevention="内网新增网段时同步更新 VPN 路由,列入变更检查单。",
            tags=("VPN", "网络"),
        ),
    ),
    Scenario(
        key="email_delivery",
        problem_type=ProblemType.FUNCTIONAL,
        weight=6,
        symptoms=("系统通知邮件收不到", "密码重置邮件收不到", "发往外部客户的邮件被退回"),
        errors=("550 Mailbox unavailable", "554 5.7.1 Message rejected as spam", ""),
        judgements=("发件服务器被列入黑名单", "发件域名SPF记录缺失"),
        owners=("ops_sun", "support_liu"),
        explicit=Need("系统邮件正常送达", "收不到通知邮件", "审批和提醒不被耽误"),
        implicit=Need("邮件发送失败时在系统内提示", "不知道邮件有没有发出去", "关键通知不漏"),
        constraint=Constraint("沿用现有邮件服务商", text="不更换企业邮箱服务商"),
        options=(
            Option(
                "查看发件日志与退信原因\n补充SPF与DKIM记录\n申请移出黑名单\n向多个邮箱发送测试邮件",
                Decimal("3000"), 2, 1, "通知邮件送达率恢复到99%", "low", "成本低", "移出黑名单需等待审核",
            ),
            Option(
                "接入专业邮件推送服务\n改造发信接口\n切换并监控送达率",
                Decimal("25000"), 10, 2, "送达率长期稳定", "medium", "有送达报告", "需改造接口",
            ),
        ),
        risk=("DNS记录修改生效前仍有退信", "提前告知客户,关键通知临时改用短信"),
        rollback="1. 恢复原DNS记录\n2. 切回原发件通道",
        verification="向10个不同邮箱发送测试邮件,均在1分钟内收到",
        improvement="每周检查发件域名的SPF/DKIM与黑名单状态",
        article=Article(
            title="系统邮件被退回:550 / 554 退信",
            environment="系统通知邮件,企业邮箱 SMTP",
            symptoms="用户收不到系统通知或密码重置邮件,发件日志有退信。",
            error_messages="550 Mailbox unavailable\n554 5.7.1 Message rejected as spam",
            root_cause="发件域名缺少 SPF 记录,被对方邮件服务器判为垃圾邮件。",
            solution_steps="1. 查看退信代码\n2. 在 DNS 中补充 **SPF** 与 **DKIM** 记录\n"
            "3. 申请移出黑名单并发送测试邮件",
            prevention="发件域名和服务器变更时检查 SPF/DKIM。",
            tags=("邮件", "DNS"),
        ),
    ),
    Scenario(
        key="browser_compatibility",
        problem_type=ProblemType.COMPATIBILITY,
        weight=7,
        symptoms=(
            "在Chrome浏览器下异常,Firefox正常",
            "IE11下页面空白",
            "Safari浏览器上传按钮无反应",
            "新版Edge中下拉菜单无法展开",
        ),
        errors=("Uncaught TypeError: Cannot read properties of undefined", "SCRIPT1002: 语法错误", ""),
        judgements=("前端脚本使用了不支持的语法", "浏览器兼容性问题"),
        owners=("frontend_zhao", "engineer"),
        explicit=Need("主流浏览器都能正常使用", "换个浏览器才能用", "员工不必为一个系统换浏览器"),
        implicit=Need("明确支持的浏览器和版本", "不知道该用哪个浏览器", "减少因浏览器引起的报障"),
        constraint=Constraint("兼容现有终端", text="须支持信创终端自带浏览器"),
        options=(
            Option(
                "在各浏览器复现并收集控制台报错\n修复不兼容的脚本语法\n补充兼容性转译配置\n多浏览器回归测试",
                Decimal("12000"), 4, 1, "Chrome、Edge、Firefox、Safari均可正常使用", "low",
                "修复彻底", "需回归测试",
            ),
            Option(
                "前端框架升级到新版本\n重写不兼容组件\n全量回归测试",
                Decimal("70000"), 20, 3, "长期兼容新浏览器", "high", "技术债一次清理", "工作量大",
            ),
        ),
        risk=("修复引入新的页面问题", "在测试环境完成多浏览器回归后再发布"),
        rollback="1. 回滚前端版本\n2. 清理浏览器缓存\n3. 通知客户",
        verification="远程登录客户环境,在四种浏览器中各操作10次均正常",
        improvement="发布前增加多浏览器自动化回归",
        article=Article(
            title="页面在部分浏览器中空白或按钮无反应",
            environment="Web 门户,IE11 / Safari / 新版 Edge",
            symptoms="页面在某些浏览器中空白,或按钮点击无反应,换浏览器正常。",
            error_messages="Uncaught TypeError: Cannot read properties of undefined\nSCRIPT1002: 语法错误",
            root_cause="前端脚本使用了旧浏览器不支持的语法,构建时未转译。",
            solution_steps="1. 打开浏览器开发者工具查看控制台报错\n2. 修复或转译不兼容语法\n"
            "3. 清除缓存后重试",
            prevention="构建配置中声明目标浏览器,发布前多浏览器回归。",
            tags=("浏览器", "兼容性"),
        ),
    ),
    Scenario(
        key="data_export",
        problem_type=ProblemType.FUNCTIONAL,
        weight=7,
        symptoms=(
            "数据导出失败,点击导出后无响应",
            "导出的Excel用WPS打开中文乱码",
            "导出超过1万行时文件不完整",
        ),
        errors=("“文件格式或扩展名无效”", "导出任务超时", ""),
        judgements=("导出文件编码不兼容", "导出服务超时"),
        owners=("engineer", "frontend_zhao"),
        explicit=Need("导出完整且可正常打开", "导出的文件打不开", "按时向上级报送数据"),
        implicit=Need("大批量导出在后台完成后通知", "导出时页面一直转圈", "导出不影响其他人使用系统"),
        constraint=Constraint("导出格式不变", text="保持现有报送模板的列顺序"),
        options=(
            Option(
                "复现导出问题并检查文件编码\n改为UTF-8带BOM导出\n大批量导出改为后台任务\n用WPS与Office验证",
                Decimal("10000"), 3, 1, "导出文件在WPS与Office中均正常", "low", "改动小", "需调整导出接口",
            ),
            Option(
                "建设统一导出中心\n各模块接入导出中心\n下线旧导出功能",
                Decimal("60000"), 18, 2, "所有导出统一管理", "medium", "便于维护", "周期长",
            ),
        ),
        risk=("编码改变影响下游程序读取", "提前与下游确认,保留旧格式开关"),
        rollback="1. 恢复原导出编码\n2. 关闭后台导出开关",
        verification="客户用WPS与Office分别打开导出的3份文件,内容完整、无乱码",
        improvement="导出功能增加中文与大数据量的测试用例",
        article=Article(
            title="报表导出后中文乱码",
            environment="报表导出,WPS / Office",
            symptoms="导出的 Excel 用 WPS 打开中文乱码。",
            error_messages="",
            root_cause="导出文件未带 BOM,WPS 按本地编码打开。",
            solution_steps="改用 UTF-8 带 BOM 的编码导出。",
            prevention="",
            tags=("报表", "导出"),
            published=False,  # still being written: the demo's one draft
        ),
    ),
    Scenario(
        key="disk_full",
        problem_type=ProblemType.ENVIRONMENT,
        weight=5,
        symptoms=(
            "磁盘空间已满,日志无法写入",
            "上传附件失败,提示存储空间不足",
            "服务器磁盘使用率持续95%以上",
        ),
        errors=("No space left on device", "“存储空间不足”", ""),
        judgements=("日志未轮转", "备份文件未清理"),
        owners=("ops_sun",),
        explicit=Need("恢复附件上传与日志写入", "文件传不上去", "业务资料能及时归档"),
        implicit=Need("磁盘快满时提前告警", "每次都是满了才发现", "避免磁盘满导致停机"),
        constraint=Constraint("日志保留期限", text="日志至少保留180天(审计要求)"),
        options=(
            Option(
                "清理过期备份与临时文件\n配置日志按天轮转并压缩\n旧日志转存归档存储\n配置磁盘使用率告警",
                Decimal("5000"), 2, 1, "磁盘使用率降到60%以下", "low", "当天恢复", "需定期检查",
            ),
            Option(
                "扩容数据盘\n附件迁移到对象存储\n改造上传接口",
                Decimal("40000"), 12, 2, "存储容量长期充足", "medium", "一劳永逸", "需改造应用",
            ),
        ),
        risk=("误删仍需保留的文件", "清理前先列清单并与客户确认"),
        rollback="1. 从归档存储恢复文件\n2. 恢复原日志配置",
        verification="磁盘使用率降至55%,附件上传与日志写入正常",
        improvement="全部服务器配置磁盘使用率80%告警",
        article=Article(
            title="No space left on device:磁盘空间已满",
            environment="Linux 应用服务器",
            symptoms="附件上传失败,日志无法写入,磁盘使用率 100%。",
            error_messages="No space left on device",
            root_cause="应用日志未配置轮转,多年日志堆积。",
            solution_steps="1. 用 `du -sh` 找出大目录\n2. 清理过期备份\n3. 配置 logrotate 按天轮转并压缩",
            prevention="磁盘使用率超过 80% 告警。",
            tags=("服务器", "磁盘"),
        ),
    ),
]  # fmt: skip

_BY_JUDGEMENT = {judgement: scenario for scenario in SCENARIOS for judgement in scenario.judgements}
_BY_KEY = {scenario.key: scenario for scenario in SCENARIOS}


def scenario_named(key: str) -> Scenario:
    return _BY_KEY[key]


def scenario_of(ticket) -> Scenario | None:
    """The scenario a demo ticket was made from (by its preliminary judgement); None for other tickets."""
    return _BY_JUDGEMENT.get(ticket.preliminary_judgement)
