"""Text pools for `manage.py seed_demo`: users, customers, contacts and the phrases around a symptom.

Plain data only (the problems themselves are in demo/scenarios.py). The generator combines these with
a seeded random.Random, so the same seed gives the same demo tickets. Descriptions read like the
document's rows: symptom first, then the impact (现象+影响), e.g. 页面加载超10秒,影响12名用户查看报表.
"""

from toolkit.choices import CustomerTier

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
        # Not in the document: how it ended, so the demo shows it as history, closed within its SLA.
        "closed_at": (2023, 10, 1, 17, 50),
        "close_reason": "调回验证码缓存有效期并重启验证码服务,客户确认3名用户均可登录提交订单",
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
        "closed_at": (2023, 10, 1, 19, 40),
        "close_reason": "网关开启数据压缩并临时提升专线带宽,刷新间隔恢复到10秒以内,客户确认",
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
