"""The data categories a firm consents to share, and the purposes a bank may use them for.

Shared by the consent mask, the ingestion sources and the feature catalogue; a category's bit is its
position here (never reorder: masks are stored as integers).
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = ("tax", "social_insurance", "housing_fund", "utilities", "public_credit")
BIT = {name: 1 << i for i, name in enumerate(CATEGORIES)}
ALL_BITS = (1 << len(CATEGORIES)) - 1

CATEGORY_NAMES = {
    "tax": ("纳税", "Tax"),
    "social_insurance": ("社保缴费", "Social insurance"),
    "housing_fund": ("住房公积金", "Housing fund"),
    "utilities": ("水电气", "Utilities"),
    "public_credit": ("公共信用", "Public credit lists"),
}

PURPOSES: dict[str, tuple[str, str]] = {
    "pre_screen": (
        "用于银行在“银税互动”白名单中向本企业推荐信贷产品（预筛选）。",
        "To let banks recommend credit products to the firm through whitelists (pre-screening).",
    ),
    "underwriting": (
        "用于银行审查本企业的贷款申请（贷前审查与审批）。",
        "To let the bank assess the firm's loan application (underwriting).",
    ),
    "post_loan_monitoring": (
        "用于银行对本企业已发放贷款进行贷后管理与风险监测。",
        "To let the bank monitor the firm's outstanding loans (post-loan monitoring).",
    ),
}


def to_bits(categories) -> int:
    """Bitmask of a collection of category names."""
    bits = 0
    for name in categories:
        bits |= BIT[name]
    return bits


def from_bits(bits: int) -> list[str]:
    """Category names of a bitmask, in catalogue order."""
    return [name for name in CATEGORIES if bits & BIT[name]]
