"""End to end in a real browser: a firm registers, authorizes two banks, sees its matches and applies;
the bank's officer finds it on the whitelist, opens its profile and approves; the firm sees the approval;
the firm revokes the other bank, whose officer can then no longer open its profile; an analyst promotes
the challenger. Bad input shows at the field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bank_tax.batch import daily
from bank_tax.db import db
from bank_tax.modelling.registry import Registry
from tests import factories
from tests.matching.helpers import records


@pytest.fixture
def province(live_server, fitted, tmp_path):
    """Two banks with a product each, an officer of each, an analyst, and a champion and a challenger."""
    base, app = live_server
    reg = Registry(tmp_path / "models")
    champion = reg.register(fitted.model, {"data": {"source": "tests"}, "evaluation": fitted.report})
    reg.promote(champion)
    challenger = reg.register(fitted.model, {"data": {"source": "tests, again"}, "evaluation": fitted.report})
    reg.promote(challenger, "challenger")
    app.config["MODEL_DIR"] = str(reg.root)
    with app.app_context(), db.scope() as s:
        banks = [factories.bank(s), factories.bank(s)]
        for b in banks:
            factories.product(s, b.code, "YSD")
        officers = [factories.user(s, "bank_officer", bank_code=b.code).username for b in banks]
        analyst = factories.user(s, "analyst").username
        codes = [b.code for b in banks]
    return {
        "base": base,
        "app": app,
        "banks": codes,
        "officers": officers,
        "analyst": analyst,
        "challenger": challenger,
    }


def _login(page, base, username):
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_loan_from_registration_to_approval_and_a_revocation_that_holds(chromium, province, shot, tmp_path):
    base, app = province["base"], province["app"]
    bank_a, bank_b = province["banks"]
    firm = chromium.new_context(locale="zh-CN").new_page()

    # register: a bad USCC is refused at the field, a good one logs the firm in
    firm.goto(f"{base}/register")
    firm.get_by_label("统一社会信用代码").fill("91330106MA2XXXXX0")
    firm.get_by_label("企业名称").fill("杭州浏览器测试有限公司")
    firm.get_by_label("行政区划代码").fill("330106")
    firm.get_by_label("行业代码").fill("C18")
    firm.get_by_label("成立日期").fill("2015-01-01")
    firm.get_by_label("登录用户名").fill("browser-firm")
    firm.get_by_label("密码（至少10位）").fill(factories.PASSWORD)
    firm.get_by_role("button", name="注册").click()
    expect(firm.locator("#err-uscc")).to_be_visible()
    shot(firm, "register-error")
    uscc = factories.new_uscc()
    firm.get_by_label("统一社会信用代码").fill(uscc)
    firm.get_by_label("密码（至少10位）").fill(factories.PASSWORD)
    firm.get_by_role("button", name="注册").click()
    expect(firm).to_have_url(f"{base}/firm")
    shot(firm, "my-credit")

    # the agencies' batches for the new firm arrive
    with app.app_context(), db.scope() as s:
        records(s, uscc, grade="A")

    # authorize both banks for pre-screening
    for bank in (bank_a, bank_b):
        firm.goto(f"{base}/firm/consents")
        firm.get_by_label("授权银行").select_option(bank)
        firm.get_by_role("button", name="签署授权").click()
    expect(firm.locator("tr[data-consent]")).to_have_count(2)
    shot(firm, "consents")

    # matches: eligible at both banks; apply to bank A
    firm.goto(f"{base}/firm/products")
    expect(firm.locator(f'li.eligible[data-product="{bank_a}/YSD"]')).to_be_visible()
    expect(firm.locator(f'li.eligible[data-product="{bank_b}/YSD"]')).to_be_visible()
    shot(firm, "products")
    firm.locator(f'li[data-product="{bank_a}/YSD"]').get_by_role("link", name="立即申请").click()
    firm.get_by_label("申请金额（元）").fill("100000")
    firm.get_by_label("资金用途").fill("采购原材料")
    firm.get_by_role("button", name="提交申请").click()
    expect(firm.locator("td.status")).to_have_text("已提交")

    # the month's whitelist for bank A, as the scheduler makes it
    with app.app_context(), db.scope() as s:
        daily.whitelist(s, bank_code=bank_a, actor=None, trigger="schedule")

    officer = chromium.new_context(locale="zh-CN").new_page()
    _login(officer, base, province["officers"][0])
    officer.goto(f"{base}/bank/whitelist")
    row = officer.locator(f'tr[data-uscc="{uscc}"]')
    expect(row).to_be_visible()
    shot(officer, "whitelist")
    row.get_by_role("link", name="杭州浏览器测试有限公司").click()
    expect(officer.get_by_role("heading", name="杭州浏览器测试有限公司")).to_be_visible()
    shot(officer, "profile")
    officer.goto(f"{base}/bank/applications")
    officer.locator("tr[data-application] a").first.click()
    officer.get_by_role("button", name="开始审查").click()
    officer.get_by_label("年利率（%）").fill("4.35")
    shot(officer, "decision")
    officer.get_by_role("button", name="提交审批").click()
    expect(officer.locator("strong.status")).to_have_text("已批准")

    # the disbursement, then the bank's outcome file: the good row lands, the bad one is reported by line
    application_id = re.search(r"/applications/(\d+)", officer.url).group(1)
    officer.goto(f"{base}/bank/loans")
    officer.get_by_label("申请编号").fill(application_id)
    officer.get_by_label("合同号").first.fill("HT-2026-0001")
    officer.get_by_label("本金（元）").fill("100000")
    officer.get_by_label("年利率（%）").fill("4.35")
    officer.get_by_label("起息日").fill("2026-01-05")
    officer.get_by_label("到期日").fill("2027-01-05")
    officer.get_by_role("button", name="登记放款").click()
    expect(officer.locator('tr[data-contract="HT-2026-0001"] td.status')).to_have_text("有效")
    outcome = tmp_path / "events.csv"
    outcome.write_text(
        "event_id,contract_no,event_type,event_date,amount,dpd\n"
        "E1,HT-2026-0001,overdue,2026-03-10,0,35\n"
        "E2,HT-2026-0001,overdue,not-a-date,0,5\n",
        encoding="utf-8",
    )
    officer.get_by_label(re.compile("文件")).set_input_files(str(outcome))
    officer.get_by_role("button", name="上传").click()
    expect(officer.locator("strong.inserted")).to_have_text("1")
    expect(officer.locator("table.quarantine tr", has_text="event_date")).to_contain_text("3")
    expect(officer.locator('tr[data-contract="HT-2026-0001"] td.dpd')).to_contain_text("35")
    shot(officer, "loans")

    firm.goto(f"{base}/firm/applications")
    expect(firm.locator("td.status")).to_have_text("已批准")
    shot(firm, "applications")

    # who saw my data: bank A's officer, on the record; a wrong record is disputed from "my data"
    firm.goto(f"{base}/firm/access-log")
    expect(firm.locator(f'li[data-bank="{bank_a}"]').first).to_be_visible()
    expect(firm.locator(f'li[data-bank="{bank_b}"]')).to_have_count(0)
    shot(firm, "access-log")
    firm.goto(f"{base}/firm/data")
    record = firm.locator('tr[data-record^="vat_declarations/"]').first
    record.get_by_text("提出异议").click()
    record.get_by_label("异议理由").fill("税额有误")
    record.get_by_role("button", name="提交").click()
    expect(firm.locator("tr[data-dispute] td.status")).to_have_text("处理中")
    shot(firm, "my-data")

    # the firm revokes bank B; bank B's officer can no longer open the profile
    firm.goto(f"{base}/firm/consents")
    revoke_b = firm.locator("tr[data-consent]", has_text=bank_b).get_by_role("button", name="撤销")
    revoke_b.click()
    expect(firm.locator("tr[data-consent]", has_text=bank_b)).to_contain_text("已撤销")
    other = chromium.new_context(locale="zh-CN").new_page()
    _login(other, base, province["officers"][1])
    answer = other.goto(f"{base}/bank/firms/{uscc}")
    assert answer.status == 403
    expect(other.locator("p.error")).to_contain_text("未授权")


def test_an_analyst_promotes_the_challenger(chromium, province, shot):
    page = chromium.new_context(locale="zh-CN").new_page()
    _login(page, province["base"], province["analyst"])
    page.goto(f"{province['base']}/ops/models")
    row = page.locator(f'tr[data-version="{province["challenger"]}"]')
    expect(row.locator("td.aliases")).to_have_text("challenger")
    shot(page, "models")
    row.get_by_role("link", name=province["challenger"]).click()
    expect(page.locator(".echart svg")).to_have_count(3)  # ROC, calibration, firms by risk grade, drawn
    expect(page.locator("dd.auc")).to_contain_text("0.")
    shot(page, "model-card")
    page.go_back()
    row.get_by_role("button", name="设为冠军模型").click()
    expect(row.locator("td.aliases")).to_have_text(re.compile("champion"))


def test_a_bank_admin_sees_a_bad_product_rule_at_its_field_and_saves_a_good_one(chromium, province, shot):
    base, app = province["base"], province["app"]
    with app.app_context(), db.scope() as s:
        admin = factories.user(s, "bank_admin", bank_code=province["banks"][0]).username
    page = chromium.new_context(locale="zh-CN").new_page()
    _login(page, base, admin)
    page.goto(f"{base}/bank/products")
    page.get_by_label("产品代码").fill("JYD")
    page.get_by_label("产品名称").fill("经营贷")
    page.get_by_label("最低额度（元）").fill("5000000")  # above the maximum
    page.get_by_label("C", exact=True).check()  # a grade 银税互动 does not serve
    page.get_by_role("button", name="保存产品").click()
    expect(page.locator("#err-rules-amount_min")).to_contain_text("amount_max")
    expect(page.locator("#err-rules-grades")).to_contain_text("C and D")
    shot(page, "product-errors")
    page.get_by_label("最低额度（元）").fill("10000")
    page.get_by_label("C", exact=True).uncheck()
    page.get_by_role("button", name="保存产品").click()
    expect(page.locator('tr[data-product="JYD"]')).to_be_visible()


def test_an_operator_reads_a_batch_report_resolves_a_dispute_and_verifies_the_audit_chain(chromium, province, shot):
    from bank_tax.security import service as security
    from bank_tax.sources import ingest
    from bank_tax.sources import service as sources
    from bank_tax.sources.specs import SOURCES
    from tests.sources.helpers import csv_bytes, vat

    base, app = province["base"], province["app"]
    with app.app_context(), db.scope() as s:
        firm = factories.enterprise(s)
        owner = factories.user(s, "enterprise", uscc=firm.uscc)
        rows = [vat(firm.uscc), vat("91330106MA2XXXXX0X")]  # the second: an invalid code
        batch, _ = ingest.ingest(
            s,
            source=SOURCES["vat_declarations"],
            data=csv_bytes("vat_declarations", rows),
            filename="vat.csv",
            actor=None,
        )
        record = sources.records(s, source=SOURCES["vat_declarations"], uscc=firm.uscc)[0]
        principal = security.principal_of(owner)
        sources.open_dispute(
            s,
            uscc=firm.uscc,
            source=SOURCES["vat_declarations"],
            record_id=record["id"],
            reason="税额有误",
            actor=principal,
        )
        operator = factories.user(s, "operator").username
        batch_id = batch.id

    page = chromium.new_context(locale="zh-CN").new_page()
    _login(page, base, operator)
    page.goto(f"{base}/ops/ingestion")
    expect(page.locator(f'tr[data-batch="{batch_id}"] td.rejected')).to_have_text("1")
    page.locator(f'tr[data-batch="{batch_id}"] a').click()
    expect(page.locator("table.quarantine")).to_contain_text("uscc")
    shot(page, "batch")
    page.goto(f"{base}/ops/disputes")
    card = page.locator("article[data-dispute]").first
    card.get_by_label("答复企业").fill("经核实，申报数据无误")
    card.get_by_role("button", name="提交").click()
    expect(page.locator("article[data-dispute]")).to_have_count(0)
    page.goto(f"{base}/ops/audit")
    page.get_by_role("button", name="立即校验").click()
    expect(page.locator(".verify-ok")).to_be_visible()
    shot(page, "audit")

    mine = chromium.new_context(locale="zh-CN").new_page()
    _login(mine, base, owner.username)
    mine.goto(f"{base}/firm/data")
    expect(mine.locator("tr[data-dispute] td.status")).to_have_text("维持原记录")
    expect(mine.locator("tr[data-dispute]")).to_contain_text("经核实，申报数据无误")


def test_the_remaining_main_pages_render_and_the_portal_fits_a_phone(chromium, province, shot):
    """Screenshots of the pages the journeys above do not pass through; the firm's pages at phone width
    without sideways scrolling of the page itself."""
    base, app = province["base"], province["app"]
    with app.app_context(), db.scope() as s:
        admin = factories.user(s, "admin").username
        firm = factories.enterprise(s)
        records(s, firm.uscc, grade="B")
        owner = factories.user(s, "enterprise", uscc=firm.uscc).username
    page = chromium.new_context(locale="zh-CN").new_page()
    _login(page, base, admin)
    for path, name in [
        ("/ops/monitoring", "monitoring"),
        ("/ops/report", "report"),
        ("/ops/scheduler", "scheduler"),
        ("/ops/disputes", "disputes"),
        ("/ops/ingestion", "ingestion"),
    ]:
        answer = page.goto(f"{base}{path}")
        assert answer.status == 200, path
        shot(page, name)
    phone = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    _login(phone, base, owner)
    for path, name in [
        ("/firm", "phone-credit"),
        ("/firm/products", "phone-products"),
        ("/firm/consents", "phone-consents"),
    ]:
        phone.goto(f"{base}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        shot(phone, name)
