"""The diagnosis table's layout as the document and users expect it, shared by the Excel tests."""

ZH_TITLE = "技术服务问题快速诊断表"
ZH_HEADERS = [
    "序号", "问题编号", "客户名称", "联系人", "联系方式", "问题来源", "发生时间", "问题描述(现象+影响)",
    "错误提示(如有)", "问题类型", "紧急程度", "初步判断", "责任人", "记录人", "记录时间",
]  # fmt: skip
EN_TITLE = "Technical Service Problem Quick Diagnosis Table"
EN_HEADERS = [
    "No.", "Ticket No.", "Customer", "Contact", "Contact details", "Source", "Occurred at",
    "Description (symptom + impact)", "Error message (if any)", "Type", "Priority", "Preliminary judgement",
    "Owner", "Recorded by", "Recorded at",
]  # fmt: skip

# After the document's 15, the export adds where the ticket stands (layout=document leaves them out).
ZH_STATE_HEADERS = ["阶段", "SLA 状态", "SLA 截止"]
EN_STATE_HEADERS = ["Stage", "SLA state", "SLA due"]
