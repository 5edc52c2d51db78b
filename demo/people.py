"""Text pools for `manage.py seed_demo`: customers, people and problem fragments in the document's style.

Plain data only. The command combines these with a seeded random.Random, so the same seed gives the
same demo tickets. Descriptions read like the document's rows: symptom first, then the impact
(现象+影响), e.g. 页面加载超10秒,影响12名用户查看报表.
"""

from toolkit.choices import CustomerTier, ProblemType

# The document's two rows (SPEC "Worked example"). The quotes are the document's full-width “ ”.
DOCUMENT_ROWS = [
    {
        "customer": "TSA公司",
        "contact": "*女士",
        "contact_details": "1385678",
        "source": "ticket_system",
        "occurred_at": (2023, 10, 1, 14, 30),
        "description": "无法登录系统,提示“验证码错误”,影响3名用户提交订单",
        "error_message": "“验证码错误,请重试”",
        "problem_type": "functional",
        "impact_scope": "some_users",
        "users_affected": 3,
        "business_urgency": "high",
        "priority": "P1",
        "preliminary_judgement": "验证码接口异常",
        "owner": "doc_technical_engineer",
        "recorded_at": (2023, 10, 1, 14, 35),
    },
    {
        "customer": "TSB工厂",
        "contact": "*先生",
        "contact_details": "139",
        "source": "phone",
        "occurred_at": (2023, 10, 1, 16, 0),
        "description": "设备数据同步延迟,实时数据刷新间隔5分钟,影响生产调度",
        "error_message": "无",
        "problem_type": "functional",
        "impact_scope": "department",
        "users_affected": None,
        "business_urgency": "high",
        "priority": "P0",
        "preliminary_judgement": "网络带宽不足",
        "owner": "doc_network_engineer",
        "recorded_at": (2023, 10, 1, 16, 5),
    },
]

# Demo users. The three login users first (username = group name), then owners without a password.
# "*" as the name reproduces the document's masked owners (技术工程师*, 网络工程师*).
LOGIN_USERS = [
    {"username": "engineer", "role": "engineer", "first_name": "李明", "job_title": "技术工程师"},
    {"username": "manager", "role": "manager", "first_name": "张丽", "job_title": "服务经理"},
    {"username": "admin", "role": "admin", "first_name": "王强", "job_title": "系统管理员"},
]
OWNER_USERS = [
    {"username": "doc_technical_engineer", "first_name": "*", "job_title": "技术工程师"},
    {"username": "doc_network_engineer", "first_name": "*", "job_title": "网络工程师"},
    {"username": "dba_wang", "first_name": "王磊", "job_title": "数据库工程师"},
    {"username": "network_chen", "first_name": "陈涛", "job_title": "网络工程师"},
    {"username": "frontend_zhao", "first_name": "赵敏", "job_title": "前端开发"},
    {"username": "ops_sun", "first_name": "孙强", "job_title": "运维工程师"},
    {"username": "support_liu", "first_name": "刘洋", "job_title": "技术工程师"},
]

# Who usually owns which type of problem (usernames; the demo engineer takes a share of everything).
OWNERS_BY_TYPE = {
    ProblemType.FUNCTIONAL: ["engineer", "support_liu", "frontend_zhao"],
    ProblemType.PERFORMANCE: ["dba_wang", "ops_sun", "engineer"],
    ProblemType.COMPATIBILITY: ["frontend_zhao", "support_liu", "engineer"],
    ProblemType.ENVIRONMENT: ["network_chen", "ops_sun", "dba_wang"],
}
RECORDERS = ["engineer", "engineer", "engineer", "support_liu", "network_chen", "dba_wang"]

# (name, tier, e-mail domain, kind). The kind picks the business activities and departments.
CUSTOMERS = [
    ("星河科技有限公司", CustomerTier.VIP, "xinghe-tech.cn", "company"),
    ("恒泰商业银行", CustomerTier.VIP, "hengtaibank.com", "bank"),
    ("仁和医院", CustomerTier.VIP, "renhe-hospital.org", "hospital"),
    ("华东精密制造工厂", CustomerTier.VIP, "hd-precision.com", "factory"),
    ("顺达物流集团", CustomerTier.VIP, "shunda-logistics.com", "logistics"),
    ("远航电子商务公司", CustomerTier.VIP, "yuanhang-ec.com", "company"),
    ("蓝海软件公司", CustomerTier.PAID, "lanhai-soft.com", "company"),
    ("金桥证券公司", CustomerTier.PAID, "jinqiao-sec.com", "bank"),
    ("安康社区医院", CustomerTier.PAID, "ankang-clinic.cn", "hospital"),
    ("北辰汽车零部件工厂", CustomerTier.PAID, "beichen-auto.com", "factory"),
    ("新锐教育科技公司", CustomerTier.PAID, "xinrui-edu.cn", "school"),
    ("鼎盛贸易有限公司", CustomerTier.PAID, "dingsheng-trade.com", "company"),
    ("同济口腔医院", CustomerTier.PAID, "tongji-dental.cn", "hospital"),
    ("瑞丰农村商业银行", CustomerTier.PAID, "ruifeng-bank.com", "bank"),
    ("宏远化工厂", CustomerTier.PAID, "hongyuan-chem.com", "factory"),
    ("迅捷快递公司", CustomerTier.PAID, "xunjie-express.cn", "logistics"),
    ("明德实验学校", CustomerTier.PAID, "mingde-school.edu.cn", "school"),
    ("天诚会计师事务所", CustomerTier.PAID, "tiancheng-cpa.cn", "company"),
    ("绿源食品工厂", CustomerTier.STANDARD, "lvyuan-food.com", "factory"),
    ("青松养老院", CustomerTier.STANDARD, "qingsong-care.cn", "hospital"),
    ("博文图书有限公司", CustomerTier.STANDARD, "bowen-books.com", "company"),
    ("海纳网络科技公司", CustomerTier.STANDARD, "haina-net.cn", "company"),
    ("惠民药房连锁公司", CustomerTier.STANDARD, "huimin-pharmacy.com", "company"),
    ("长江纺织厂", CustomerTier.STANDARD, "changjiang-textile.com", "factory"),
    ("东方建材公司", CustomerTier.STANDARD, "dongfang-jc.com", "company"),
    ("德馨中医医院", CustomerTier.STANDARD, "dexin-tcm.cn", "hospital"),
    ("城南小学", CustomerTier.STANDARD, "chengnan-ps.edu.cn", "school"),
    ("汇通村镇银行", CustomerTier.STANDARD, "huitong-bank.cn", "bank"),
    ("万家超市连锁公司", CustomerTier.STANDARD, "wanjia-mart.com", "company"),
    ("飞鸿仓储物流公司", CustomerTier.STANDARD, "feihong-wms.com", "logistics"),
    ("晨光印刷厂", CustomerTier.STANDARD, "chenguang-print.com", "factory"),
    ("云帆旅行社", CustomerTier.STANDARD, "yunfan-travel.cn", "company"),
    ("盛世房地产开发公司", CustomerTier.STANDARD, "shengshi-re.com", "company"),
    ("清泉水务公司", CustomerTier.STANDARD, "qingquan-water.cn", "company"),
    ("南山职业技术学院", CustomerTier.STANDARD, "nanshan-vtc.edu.cn", "school"),
    ("和美口腔诊所", CustomerTier.STANDARD, "hemei-dental.cn", "hospital"),
    ("光明乳业工厂", CustomerTier.STANDARD, "guangming-dairy.com", "factory"),
    ("聚力人力资源公司", CustomerTier.STANDARD, "juli-hr.com", "company"),
    ("速运冷链物流公司", CustomerTier.STANDARD, "suyun-coldchain.com", "logistics"),
    ("信达保险公司", CustomerTier.STANDARD, "xinda-ins.com", "bank"),
]

# Contacts: the document writes 王女士 / 李先生; some customers give a full name instead.
SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"),
    ("胡", "hu"), ("朱", "zhu"), ("高", "gao"), ("林", "lin"), ("何", "he"), ("郭", "guo"),
    ("马", "ma"), ("罗", "luo"),
]  # fmt: skip
TITLES = ["女士", "先生"]
GIVEN_NAMES = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"),
    ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"), ("海燕", "haiyan"), ("建华", "jianhua"),
    ("晓东", "xiaodong"), ("丽华", "lihua"), ("志强", "zhiqiang"),
]  # fmt: skip
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "158", "159", "177", "186", "187", "188"]
LANDLINE_AREAS = ["010", "021", "020", "0755", "0571", "025", "027", "028"]

ACTIVITIES = {
    "company": ["提交订单", "审批报销", "查看报表", "开具发票", "录入合同", "处理客户咨询"],
    "bank": ["办理转账", "日终对账", "审批贷款", "查询流水", "开立账户"],
    "hospital": ["挂号缴费", "开具处方", "打印检验报告", "办理住院", "调阅病历"],
    "factory": ["生产调度", "设备巡检", "物料出入库", "质检录入", "排产计划"],
    "logistics": ["打印运单", "分拣扫描", "车辆调度", "签收回传", "库存盘点"],
    "school": ["录入成绩", "在线选课", "排课", "发布通知", "缴纳学费"],
}
DEPARTMENTS = {
    "company": ["财务部", "销售部", "客服部", "人事部", "采购部"],
    "bank": ["信贷部", "营业部", "清算中心", "风控部"],
    "hospital": ["门诊部", "住院部", "检验科", "药剂科", "收费处"],
    "factory": ["生产部", "仓储部", "质检部", "设备部"],
    "logistics": ["分拣中心", "调度中心", "仓储部", "客服部"],
    "school": ["教务处", "财务处", "学生处", "信息中心"],
}

# Per problem type: (symptom, error messages seen with it, preliminary judgements). An empty error
# message means the customer saw none; "无" is how the document writes the same.
SCENARIOS = {
    ProblemType.FUNCTIONAL: [
        ("无法登录系统,提示“验证码错误”", ["“验证码错误,请重试”", ""], ["验证码接口异常", "短信网关故障"]),
        (
            "数据导出失败,点击导出后无响应",
            ["Error500:ConnectionTimeout", "", "无"],
            ["导出服务超时", "报表模板配置错误"],
        ),
        ("计算结果与预期不符,月度汇总金额少算一笔", ["", "无"], ["汇总逻辑缺陷", "时区换算问题"]),
        (
            "订单查询功能异常,按日期筛选返回空列表",
            ["Error500:InternalServerError", ""],
            ["查询条件拼接错误", "索引数据未同步"],
        ),
        ("报表格式错乱,合计行错位", ["", "无"], ["报表模板版本不一致", "合并单元格逻辑错误"]),
        ("按钮文字显示不全", [""], ["前端样式问题"]),
        (
            "支付系统不可用,下单后无法跳转支付页",
            ["PAY-1002:支付渠道不可用", "Error500:ConnectionTimeout"],
            ["支付网关证书过期", "第三方支付接口异常"],
        ),
        (
            "审批流程卡在第二步,提交后状态不变",
            ["", "流程实例不存在(code=4004)"],
            ["流程引擎任务丢失", "权限配置错误"],
        ),
        (
            "附件上传失败,提示文件过大",
            ["413 Request Entity Too Large", "“文件大小超出限制”"],
            ["网关上传大小限制过低"],
        ),
        ("设备数据同步延迟,实时数据刷新间隔5分钟", ["", "无"], ["网络带宽不足", "同步任务积压"]),
        ("密码重置邮件收不到", ["", "550 Mailbox unavailable"], ["邮件服务器被列入黑名单", "发件配置错误"]),
        ("打印的单据缺少二维码", ["", "无"], ["打印模板字段缺失"]),
    ],
    ProblemType.PERFORMANCE: [
        ("页面加载超10秒", ["", "504 Gateway Timeout"], ["疑似数据库索引问题", "静态资源未压缩"]),
        ("首页打开缓慢,经常转圈超过15秒", ["504 Gateway Timeout", ""], ["缓存失效", "疑似数据库索引问题"]),
        ("报表生成耗时超过5分钟", ["Query timeout after 30s", ""], ["慢查询未优化", "报表数据量过大"]),
        ("系统卡顿,点击后3-5秒才响应", ["", "无"], ["服务器资源不足", "连接池耗尽"]),
        ("服务器CPU占用持续90%以上", ["", "无"], ["定时任务死循环", "疑似内存泄漏"]),
        (
            "批量导入1万条数据耗时超过1小时",
            ["", "Lock wait timeout exceeded"],
            ["逐条提交未批量处理", "表锁冲突"],
        ),
        ("接口响应时间从200毫秒上升到3秒", ["504 Gateway Timeout", ""], ["下游服务超时", "连接池耗尽"]),
        (
            "应用内存占用过高,每天需重启一次",
            ["java.lang.OutOfMemoryError: Java heap space", ""],
            ["疑似内存泄漏"],
        ),
    ],
    ProblemType.COMPATIBILITY: [
        (
            "在Chrome浏览器下异常,Firefox正常",
            ["Uncaught TypeError: Cannot read properties of undefined", ""],
            ["浏览器兼容性问题", "前端脚本使用了不支持的语法"],
        ),
        ("IE11下页面空白", ["SCRIPT1002: 语法错误", ""], ["前端脚本使用了不支持的语法"]),
        ("Safari浏览器上传按钮无反应", ["", "无"], ["浏览器兼容性问题"]),
        (
            "升级到Windows 11后客户端无法启动",
            ["应用程序无法正常启动(0xc000007b)", ""],
            ["运行库缺失", "客户端版本过低"],
        ),
        ("iOS 17上App闪退", ["", "无"], ["客户端版本过低", "系统权限变更"]),
        ("新版Office打开导出文件提示格式错误", ["“文件格式或扩展名无效”", ""], ["导出文件格式不兼容"]),
        (
            "客户端与新版服务端接口不兼容,提交时报错",
            ["HTTP 415 Unsupported Media Type", ""],
            ["客户端版本过低"],
        ),
        ("麒麟操作系统下打印功能异常", ["", "无"], ["打印驱动版本不匹配"]),
    ],
    ProblemType.ENVIRONMENT: [
        (
            "数据库连接中断",
            ["ORA-12170: TNS:Connect timeout occurred", "Error500:ConnectionTimeout"],
            ["数据库服务宕机", "防火墙策略变更"],
        ),
        ("服务器无法访问,远程桌面连接失败", ["Connection refused", ""], ["服务器宕机", "防火墙策略变更"]),
        ("VPN连接后无法访问内网系统", ["ERR_CONNECTION_TIMED_OUT", ""], ["VPN路由配置错误", "网络带宽不足"]),
        ("磁盘空间已满,日志无法写入", ["No space left on device", ""], ["磁盘空间不足", "日志未轮转"]),
        ("SSL证书过期,浏览器提示连接不安全", ["NET::ERR_CERT_DATE_INVALID"], ["SSL证书过期"]),
        ("机房断电后部分服务未自动恢复", ["", "无"], ["服务未设置开机自启"]),
        ("域名无法访问", ["DNS_PROBE_FINISHED_NXDOMAIN", ""], ["DNS配置错误", "域名过期"]),
        ("配置文件被覆盖,系统参数恢复默认", ["", "无"], ["部署脚本覆盖配置"]),
        (
            "数据库主从同步中断",
            ["ORA-12170: TNS:Connect timeout occurred", ""],
            ["网络带宽不足", "数据库服务宕机"],
        ),
    ],
}

# Impact phrases by impact scope; {n} users, {activity}, {department}, {person}.
IMPACTS = {
    "one_user": ["仅{person}一人受影响", "影响1名用户{activity}", "仅个别用户无法{activity}"],
    "some_users": ["影响{n}名用户{activity}", "{n}名用户无法{activity}", "部分用户{activity}受阻"],
    "department": ["{department}整个部门无法{activity}", "影响{department}{activity}", "影响{activity}"],
    "everyone": ["全部用户无法{activity}", "全员无法{activity}", "{activity}全部中断"],
}
FREQUENCY_PHRASES = {
    "intermittent": ["偶现", "每天出现数次", "高峰期偶发", "重启后暂时恢复"],
    "persistent": ["持续存在", "", "", ""],
}
OVERRIDE_REASONS = [
    "客户合同约定2小时内响应",
    "客户高层直接投诉",
    "月底结账期,客户要求优先处理",
    "已有临时规避方案,降低处理级别",
    "影响范围经核实小于客户描述",
]
