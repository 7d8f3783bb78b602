"""A stored whitelist edition of many varied firms, written as the build leaves one (ranked, sealed), for
tests of how editions are read: building one through the scoring pipeline costs seconds a firm's records,
and reading does not care how it was built (tests/matching/test_build.py holds the build)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bank_tax import clock
from bank_tax.matching.models import WhitelistEdition, WhitelistEntry
from tests import factories

NAMES = (
    "杭州西湖区超长名称的智能制造与数字化服务科技有限公司",
    "宁波港航物流有限公司",
    "Zhejiang Acme Trading Co., Ltd.",
    "温州鞋业股份有限公司",
    "100% 纯_测试公司",
    "嘉兴纺织有限公司",
    "acme lowercase 贸易有限公司",
)
REGIONS = ("330106", "330102", "330203", "330302", "330402")
INDUSTRIES = ("C18", "C39", "F51", "I65", "G54")


def firms(session, n: int) -> list:
    """``n`` firms of varied names (some repeated), regions and industries."""
    return [
        factories.enterprise(
            session,
            name=f"{NAMES[i % len(NAMES)]}{'' if i % 3 else i}",
            region_code=REGIONS[i % len(REGIONS)],
            industry_code=INDUSTRIES[(i * 7) % len(INDUSTRIES)],
        )
        for i in range(n)
    ]


def stored_edition(session, bank_code: str, usccs: list[str], *, limit_of=None) -> WhitelistEdition:
    """A sealed edition of ``bank_code`` listing ``usccs`` in this rank order, with limits, points and
    grades that repeat (so sorts must break ties) and differ from the rank order."""
    edition = WhitelistEdition(
        bank_code=bank_code,
        as_of=clock.now() - dt.timedelta(hours=1),
        model_version="test",
        trigger="api",
        n_firms=len(usccs),
        n_products=1,
        digest="0" * 64,
        created_by="test",
    )
    session.add(edition)
    session.flush()
    limit_of = limit_of or (lambda i: 100_000 + (i * 37 % 11) * 50_000)
    rows = []
    for i, uscc in enumerate(usccs):
        points = 600 + (i * 13 % 9) * 20
        rows.append(
            {
                "edition_id": edition.id,
                "rank": i + 1,
                "uscc": uscc,
                "product_code": "YSD",
                "limit_yuan": limit_of(i),
                "rate": 4.2,
                "pd": 0.02,
                "points": points,
                "grade": f"R{1 + (760 - points) // 20 % 8}",
                "eligible_products": 1,
                "reasons": "",
                "consent_id": 1,
                "rank_value": float(len(usccs) - i),
            }
        )
    session.execute(sa.insert(WhitelistEntry), rows)
    session.flush()
    return edition
