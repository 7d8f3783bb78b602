"""Page texts in Chinese (default, for firms and loan officers) and English."""

from __future__ import annotations

from flask import request, session

from bank_tax.categories import CATEGORY_NAMES, PURPOSES

LANGUAGES = ("zh", "en")

TEXTS: dict[str, dict[str, str]] = {
    "app_name": {"zh": "银税互动服务平台", "en": "Bank-Tax Credit Platform"},
    "tagline": {"zh": "以信换贷：纳税信用好，贷款更容易", "en": "Honest tax records, easier loans"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出登录", "en": "Log out"},
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码", "en": "Password"},
    "welcome": {"zh": "欢迎", "en": "Welcome"},
    "role": {"zh": "角色", "en": "Role"},
    "api_docs": {"zh": "接口文档", "en": "API documentation"},
    "login_failed": {"zh": "用户名或密码错误", "en": "Wrong username or password"},
    "not_logged_in": {"zh": "您尚未登录。", "en": "You are not logged in."},
    "error": {"zh": "出错了", "en": "Something went wrong"},
    "home": {"zh": "首页", "en": "Home"},
    "role_enterprise": {"zh": "企业用户", "en": "Enterprise"},
    "role_bank_officer": {"zh": "银行客户经理", "en": "Loan officer"},
    "role_bank_admin": {"zh": "银行管理员", "en": "Bank admin"},
    "role_analyst": {"zh": "数据分析师", "en": "Analyst"},
    "role_operator": {"zh": "平台运营", "en": "Operator"},
    "role_admin": {"zh": "系统管理员", "en": "Administrator"},
}


def current_language() -> str:
    """The chosen language: the session's choice, else the browser's preference, else Chinese."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="zh") or "zh"


def t(key: str) -> str:
    """The text for ``key`` in the current language (the key itself when nobody wrote one)."""
    return TEXTS.get(key, {}).get(current_language(), key)


def L(zh: str, en: str) -> str:  # noqa: N802 (short on purpose: templates are full of it)
    """A page's own text, written in both languages where it is used."""
    return en if current_language() == "en" else zh


STATUS = {
    "active": ("有效", "active"),
    "revoked": ("已撤销", "revoked"),
    "expired": ("已过期", "expired"),
    "superseded": ("已替换", "superseded"),
    "submitted": ("已提交", "submitted"),
    "in_review": ("审查中", "in review"),
    "approved": ("已批准", "approved"),
    "declined": ("未获批准", "declined"),
    "returned": ("已退回", "returned"),
    "withdrawn": ("已撤回", "withdrawn"),
    "open": ("处理中", "open"),
    "rejected": ("未通过", "rejected"),
    "paused": ("已暂停", "paused"),
    "closed": ("已结清", "closed"),
    "written_off": ("已核销", "written off"),
    "restructured": ("已重组", "restructured"),
    "upheld": ("维持原记录", "upheld"),
    "corrected": ("已更正", "corrected"),
}

_BANK_NAV = [
    ("workbench.whitelist", ("白名单", "Whitelist")),
    ("workbench.queue", ("申请队列", "Applications")),
    ("workbench.loan_list", ("贷款", "Loans")),
    ("workbench.product_list", ("产品", "Products")),
]
_ANALYST_NAV = [
    ("dashboard.models", ("模型", "Models")),
    ("dashboard.monitoring_page", ("监测", "Monitoring")),
    ("dashboard.report", ("成效报告", "Effect report")),
]
_STAFF_NAV = [
    *_ANALYST_NAV,
    ("dashboard.ingestion", ("数据接入", "Ingestion")),
    ("dashboard.disputes", ("异议处理", "Disputes")),
    ("dashboard.repairs", ("信用修复", "Credit repairs")),
    ("dashboard.scheduler_page", ("定时任务", "Scheduler")),
    ("dashboard.audit_page", ("审计日志", "Audit log")),
]
NAVIGATION = {
    "enterprise": [
        ("portal.home", ("我的信用", "My credit")),
        ("portal.consent_list", ("数据授权", "Data sharing")),
        ("portal.my_data", ("我的数据", "My data")),
        ("portal.access_log", ("查询记录", "Who saw my data")),
        ("portal.products", ("可申请产品", "Products")),
        ("portal.applications", ("我的申请", "Applications")),
        ("portal.repairs", ("信用修复", "Credit repair")),
        ("portal.messages", ("消息", "Messages")),
    ],
    "bank_officer": _BANK_NAV,
    "bank_admin": _BANK_NAV,
    "analyst": _ANALYST_NAV,
    "operator": _STAFF_NAV,
    "admin": _STAFF_NAV,
    None: [("web.login", ("登录", "Log in")), ("portal.register", ("企业注册", "Register"))],
}


def navigation() -> list[tuple[str, str]]:
    """(endpoint, label) of the pages the current user's role may open (anonymous: log in, register)."""
    from bank_tax.security.auth import current_principal

    principal = current_principal()
    items = NAVIGATION.get(principal.role.value if principal else None, [])
    out = [(endpoint, L(*label)) for endpoint, label in items]
    if principal is not None and principal.uscc:
        from bank_tax.db import db
        from bank_tax.taxcredit.inbox import unread

        n = unread(db.session, principal.uscc)
        out = [(e, f"{label} ({n})" if e == "portal.messages" and n else label) for e, label in out]
    return out


def _named(names: dict[str, tuple[str, str]], key: str | None) -> str:
    """``key``'s name from a table of (中文, English) in the page's language; the key itself when the
    table has none (a code people may still look up)."""
    return L(*names[key]) if key in names else (key or "")


def status_text(status: str) -> str:
    """A consent's or an application's status, in words."""
    return _named(STATUS, status)


def category_name(code: str) -> str:
    """A data category's name."""
    return _named(CATEGORY_NAMES, code)


def purpose_name(code: str | None) -> str:
    """A consent purpose's name (贷前筛查, 授信审批, …)."""
    return _named(PURPOSES, code)


def pick(text: str) -> str:
    """The current language's half of a bilingual "中文 / English" title."""
    zh, sep, en = text.partition(" / ")
    return (en if current_language() == "en" else zh) if sep else text


CODED_FIELDS = {
    "utility": {"electricity": ("电", "electricity"), "water": ("水", "water"), "gas": ("燃气", "gas")},
    "tax_type": {"VAT": ("增值税", "VAT"), "CIT": ("企业所得税", "corporate income tax")},
}


def cell(value, kind: str, name: str = "") -> str:
    """A stored record value as people read it: money in 元 with separators (stored in 分), dates as
    YYYY-MM-DD, yes/no, a coded value (list type, utility, tax) by its name, empty for nothing."""
    if value is None:
        return ""
    if name == "list_type":
        return list_type_name(value)
    if name in CODED_FIELDS and value in CODED_FIELDS[name]:
        return L(*CODED_FIELDS[name][value])
    if kind in ("money", "signed_money"):
        return f"{value / 100:,.2f}"
    if kind == "period" and hasattr(value, "strftime"):
        return value.strftime("%Y-%m")
    if kind == "bool":
        return L("是", "yes") if value else L("否", "no")
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


FIELD_LABELS = {
    "period": ("所属期", "Period"),
    "taxable_sales": ("应税销售额（元）", "Taxable sales (CNY)"),
    "tax_payable": ("应纳税额（元）", "Tax payable (CNY)"),
    "tax_paid": ("实缴税额（元）", "Tax paid (CNY)"),
    "is_zero": ("零申报", "Zero return"),
    "due_date": ("申报期限", "Due"),
    "filed_on": ("申报日期", "Filed"),
    "year": ("年度", "Year"),
    "revenue": ("营业收入（元）", "Revenue (CNY)"),
    "profit_total": ("利润总额（元）", "Profit (CNY)"),
    "grade": ("等级", "Grade"),
    "score": ("得分", "Score"),
    "rule_set": ("评价规则", "Rule set"),
    "evaluated_on": ("评价日期", "Evaluated"),
    "arrear_id": ("欠税编号", "Arrear"),
    "tax_type": ("税种", "Tax"),
    "amount": ("金额（元）", "Amount (CNY)"),
    "arisen_on": ("发生日期", "Arose"),
    "cleared_on": ("结清日期", "Cleared"),
    "insured_headcount": ("参保人数", "Insured staff"),
    "contribution_base": ("缴费基数（元）", "Contribution base (CNY)"),
    "contribution_due": ("应缴（元）", "Due (CNY)"),
    "contribution_paid": ("实缴（元）", "Paid (CNY)"),
    "arrears": ("欠缴（元）", "Arrears (CNY)"),
    "depositors": ("缴存人数", "Depositors"),
    "deposit_due": ("应缴存（元）", "Due (CNY)"),
    "deposit_paid": ("实缴存（元）", "Paid (CNY)"),
    "utility": ("类别", "Utility"),
    "unit": ("单位", "Unit"),
    "consumption": ("用量", "Consumption"),
    "billed": ("账单金额（元）", "Billed (CNY)"),
    "paid_on": ("缴费日期", "Paid on"),
    "auto_debit": ("自动扣款", "Auto debit"),
    "entry_id": ("名单编号", "Entry"),
    "list_type": ("名单类型", "List"),
    "reason": ("事由", "Reason"),
    "authority": ("认定单位", "Authority"),
    "listed_on": ("列入日期", "Listed"),
    "removed_on": ("移出日期", "Removed"),
}


def field_label(name: str) -> str:
    """A record field's column heading."""
    return _named(FIELD_LABELS, name)


def feature_label(name: str) -> str:
    """A model feature's name as people read it."""
    from bank_tax.modelling.explain import label

    return label(name, current_language())


def bank_name(code: str | None) -> str:
    """A bank's name in the page's language (its code when it is not a participating bank); the banks
    are read once a request."""
    from flask import g

    if not code:
        return ""
    names = g.get("_bank_names")
    if names is None:
        import sqlalchemy as sa

        from bank_tax.banks.models import Bank
        from bank_tax.db import db

        names = {c: (zh, en) for c, zh, en in db.session.execute(sa.select(Bank.code, Bank.name, Bank.name_en))}
        g._bank_names = names
    zh, en = names.get(code, (code, code))
    return L(zh, en or zh)


def region_name(code: str | None) -> str:
    """An administrative division's name (GB/T 2260), e.g. 杭州市上城区; the code when unknown."""
    from bank_tax.enterprises import reference

    return (reference.region_name(code, current_language()) or code) if code else ""


def industry_name(code: str | None) -> str:
    """An industry's name (GB/T 4754-2017 division, or section for a letter); the code when unknown."""
    from bank_tax.enterprises import reference

    return (reference.industry_name(code, current_language()) or code) if code else ""


def size_name(code: str | None) -> str:
    """A size class's name (微型, 小型, 中型, 大型)."""
    from bank_tax.enterprises import reference

    return (reference.size_name(code, current_language()) or code) if code else ""


def grade_name(code: str | None) -> str:
    """A tax-credit grade as the report groups it: A/B/M/C/D, or 未评级 for a firm with none."""
    return L("未评级", "unrated") if code in (None, "unrated", "?") else code


def yuan(amount: float | None) -> str:
    """An amount in 元 with separators and two decimals (never scientific notation)."""
    return "—" if amount is None else f"{amount:,.2f}"


def wan(amount: float | None) -> str:
    """An amount in 元 read in 万元: "1,765.00 万元"."""
    return "—" if amount is None else f"{amount / 10_000:,.2f} {L('万元', '×10k CNY')}"


METRICS = {
    # metric → (中文, English, kind): count, rate (a ratio shown in %), points (already in %, as loan rates
    # are kept), money (元, shown in 万元)
    "applications": ("申请笔数", "Applications", "count"),
    "approved": ("批准笔数", "Approved", "count"),
    "declined": ("未获批准笔数", "Declined", "count"),
    "approval_rate": ("审批通过率", "Approval rate", "rate"),
    "loans": ("放款笔数", "Loans made", "count"),
    "amount": ("放款金额", "Amount lent", "money"),
    "average_rate": ("加权平均利率", "Average rate (amount-weighted)", "points"),
    "outstanding_loans": ("贷款余额笔数", "Loans outstanding", "count"),
    "outstanding_amount": ("贷款余额", "Outstanding amount", "money"),
    "npl_loans": ("不良贷款笔数", "Non-performing loans", "count"),
    "npl_amount": ("不良贷款余额", "Non-performing amount", "money"),
    "npl_ratio": ("不良率", "NPL ratio", "rate"),
}


def metric_label(metric: str) -> str:
    """A report metric's name."""
    return L(*METRICS[metric][:2]) if metric in METRICS else metric


def metric_value(metric: str, value) -> str:
    """A report metric's value as people read it: counts with separators, rates in %, money in 万元."""
    if value is None:
        return "—"
    kind = METRICS.get(metric, ("", "", "count"))[2]
    if kind == "rate":
        return f"{value:.2%}"
    if kind == "points":
        return f"{value:.2f}%"
    if kind == "money":
        return wan(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def metric_change(metric: str, value) -> str:
    """The change of a metric on the previous quarter, signed: "+12", "−926.00 万元", "+1.50 个百分点"."""
    if value is None:
        return ""
    kind = METRICS.get(metric, ("", "", "count"))[2]
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    size = abs(value)
    if kind in ("rate", "points"):
        return f"{sign}{size * (100 if kind == 'rate' else 1):.2f} {L('个百分点', 'pp')}"
    if kind == "money":
        return f"{sign}{wan(size)}"
    return f"{sign}{size:,.0f}" if float(size).is_integer() else f"{sign}{size:,.2f}"


def source_name(name: str | None) -> str:
    """An agency file kind's name (增值税申报, …)."""
    from bank_tax.sources.specs import SOURCES

    return pick(SOURCES[name].title) if name in SOURCES else (name or "")


def reason_text(text: str | None) -> str:
    """A stored bilingual reason ("[check] 中文 / English") in the page's language, without its check key."""
    import re

    return pick(re.sub(r"^\[[a-z_]+\]\s*", "", text or ""))


DEDUCTIONS = {
    "late_filing": ("逾期申报", "late filing"),
    "late_statement": ("财务报表逾期报送", "late financial statements"),
    "arrear_new": ("新增欠税", "new tax arrears"),
    "arrear_open_at_year_end": ("年末欠税未缴清", "arrears open at year end"),
    "si_arrear": ("社保欠费", "social-insurance arrears"),
    "si_arrear_month": ("社保欠费", "social-insurance arrears"),
}


def deduction_name(key: str) -> str:
    """A tax-credit deduction's name."""
    return _named(DEDUCTIONS, key)


LIST_TYPES = {
    "serious_dishonesty": ("严重失信主体名单", "serious dishonesty list"),
    "key_watch": ("重点关注名单", "key watch list"),
    "red_list": ("守信激励名单（红名单）", "red list (trustworthy)"),
    "admin_penalty": ("行政处罚", "administrative penalty"),
    "abnormal_operation": ("经营异常名录", "abnormal operations list"),
}


def list_type_name(key: str | None) -> str:
    """A public-credit list's name."""
    return _named(LIST_TYPES, key)


EVENTS = {
    "disbursement": ("放款", "disbursement"),
    "repayment": ("还款", "repayment"),
    "overdue": ("逾期", "overdue"),
    "default": ("违约", "default"),
    "write_off": ("核销", "write-off"),
    "closure": ("结清", "closure"),
    "restructure": ("重组", "restructure"),
}


def event_name(key: str) -> str:
    """A loan event's name."""
    return _named(EVENTS, key)


JOBS = {
    "sources.scan_inbox": ("扫描数据接收目录", "Scan the drop folder"),
    "consent.expire": ("授权到期处理", "Expire consents"),
    "pipeline.run": ("每日评分批处理", "Daily scoring batch"),
    "taxcredit.push": ("精准推送", "Targeted push"),
    "reports.effect": ("季度成效报告", "Quarterly effect report"),
    "scheduler.sync_banks": ("同步银行白名单计划", "Sync banks' whitelist schedules"),
    "security.purge_logins": ("清理过期登录记录", "Purge old login attempts"),
}


def job_name(job_id: str) -> str:
    """A scheduled job's name; a bank's whitelist job names the bank."""
    if job_id.startswith("whitelists."):
        return f"{bank_name(job_id.split('.', 1)[1])} · {L('白名单生成', 'whitelist')}"
    return _named(JOBS, job_id)


# the helpers every template may call by name
TEMPLATE_HELPERS = (
    "bank_name",
    "purpose_name",
    "region_name",
    "industry_name",
    "size_name",
    "grade_name",
    "metric_label",
    "metric_value",
    "metric_change",
    "source_name",
    "reason_text",
    "deduction_name",
    "list_type_name",
    "job_name",
    "event_name",
)
