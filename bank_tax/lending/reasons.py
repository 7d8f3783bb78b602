"""Decision reason codes, with the plain-language explanation the firm reads (Chinese and English)."""

from __future__ import annotations

REASONS: dict[str, tuple[str, str]] = {
    "insufficient_tax_history": (
        "纳税记录不足：连续纳税时间或近12个月纳税额未达到产品要求。",
        "Tax history too short: months of tax paid or the 12-month tax paid are below the product's requirement.",
    ),
    "credit_grade": (
        "纳税信用等级不符合产品准入要求（产品仅面向A、B、M级企业）。",
        "The tax-credit grade does not meet the product's requirement (A, B or M grades only).",
    ),
    "tax_arrears": ("存在欠税，结清后可重新申请。", "There are tax arrears; apply again once they are paid."),
    "dishonesty_list": (
        "企业在严重失信主体名单中，完成信用修复后可重新申请。",
        "The firm is on the serious-dishonesty list; apply again after credit repair.",
    ),
    "risk_assessment": (
        "综合风险评估未达到银行审批标准。",
        "The bank's overall risk assessment was below its approval standard.",
    ),
    "amount_above_limit": (
        "申请金额超过可核定额度，可降低金额后重新申请。",
        "The amount asked exceeds the limit the bank can grant; apply again for less.",
    ),
    "incomplete_information": (
        "申请资料不完整，请补充后重新提交。",
        "The application is incomplete; complete it and submit again.",
    ),
    "other": ("其他原因，详见银行说明。", "Other reasons: see the bank's explanation."),
}


def explain(code: str | None) -> dict[str, str] | None:
    """The plain-language reason for a code, in both languages."""
    if code is None:
        return None
    zh, en = REASONS.get(code, REASONS["other"])
    return {"code": code, "zh": zh, "en": en}
