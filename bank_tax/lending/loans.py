"""Loans and the outcome events banks feed back (one at a time, in batches, or as a file).

Events are idempotent by the bank's own event id: the same id with the same content is a duplicate,
with other content a conflict (quarantined, never a second copy). Each event moves the loan: days past
due for delinquency, and the states closed / written off / restructured.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.errors import Conflict, Invalid, NotFound
from bank_tax.lending.models import EVENT_TYPES, Application, Loan, LoanEvent
from bank_tax.products.models import Product
from bank_tax.security import audit
from bank_tax.security.roles import Principal
from bank_tax.sources.fields import Field, parse_column
from bank_tax.sources.ingest import decode

EVENT_FIELDS = (
    Field("event_id", "text", max_length=64),
    Field("contract_no", "text", max_length=64),
    Field("event_type", "code", choices=EVENT_TYPES),
    Field("event_date", "date"),
    Field("amount", "money"),
    Field("dpd", "int", bounds=(0, 3650)),
)
STATE_AFTER = {"write_off": "written_off", "closure": "closed", "restructure": "restructured"}


def report_disbursement(
    session: Session,
    *,
    bank_code: str,
    actor: Principal | None,
    contract_no: str,
    principal: int,
    rate: float,
    start_date: dt.date,
    maturity_date: dt.date,
    application_id: int | None = None,
    uscc: str | None = None,
    product_code: str | None = None,
) -> tuple[Loan, bool]:
    """Record a disbursed loan: of an approved application of this bank, or (back-filling history) of a
    firm and product named directly. The same contract twice is the same loan; return (loan, created)."""
    errors = {}
    if maturity_date <= start_date:
        errors["maturity_date"] = ["must be after start_date"]
    if application_id is not None:
        app = session.get(Application, application_id)
        if app is None or app.bank_code != bank_code:
            raise NotFound("没有该申请 / no such application at this bank")
        if app.status != "approved":
            raise Conflict(f"only an approved application is disbursed; this one is {app.status}")
        uscc, product_id = app.uscc, app.product_id
    else:
        if not uscc or not product_code:
            errors["application_id"] = ["give the approved application, or uscc and product_code for history"]
        product_id = session.scalar(
            sa.select(Product.id).where(Product.bank_code == bank_code, Product.code == product_code)
        )
        if product_code and product_id is None:
            errors["product_code"] = ["no such product at this bank"]
    if errors:
        raise Invalid("放款信息无效 / the disbursement is not valid", errors)
    existing = session.scalar(sa.select(Loan).where(Loan.bank_code == bank_code, Loan.contract_no == contract_no))
    if existing is not None:
        same = (existing.uscc, existing.principal, existing.start_date) == (uscc, principal, start_date)
        if not same:
            raise Conflict(
                "该合同号已登记为另一笔贷款 / this contract number is another loan", {"contract_no": ["taken"]}
            )
        return existing, False
    loan = Loan(
        bank_code=bank_code,
        contract_no=contract_no,
        application_id=application_id,
        uscc=uscc,
        product_id=product_id,
        principal=principal,
        rate=rate,
        start_date=start_date,
        maturity_date=maturity_date,
    )
    session.add(loan)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="loan.disburse",
        uscc=uscc,
        bank_code=bank_code,
        resource=f"loan/{loan.id}",
        details={"contract_no": contract_no, "principal": principal},
    )
    return loan, True


def record_events(
    session: Session, *, bank_code: str, columns: dict[str, np.ndarray], lines: np.ndarray, actor: Principal | None
) -> dict:
    """Validate and apply a batch of events (text columns as sent); every rejected row is reported with
    its line, field and reason while the good rows land. Returns the report."""
    n = lines.shape[0]
    values, bad = {}, np.zeros(n, dtype=bool)
    rejections: list[dict] = []
    for f in EVENT_FIELDS:
        typed, wrong, reason, _ = parse_column(columns.get(f.name, np.full(n, "", dtype=str)), f)
        values[f.name] = typed
        for i in np.nonzero(wrong)[0]:
            rejections.append(
                {
                    "line": int(lines[i]),
                    "field": f.name,
                    "reason": str(np.broadcast_to(np.asarray(reason, dtype=object), (n,))[i]),
                }
            )
        bad |= wrong
    loans = {
        c: loan
        for c, loan in session.execute(
            sa.select(Loan.contract_no, Loan).where(
                Loan.bank_code == bank_code, Loan.contract_no.in_(sorted(set(values["contract_no"][~bad].tolist())))
            )
        )
    }
    known = {
        e.event_id: e
        for e in session.scalars(
            sa.select(LoanEvent).where(
                LoanEvent.bank_code == bank_code, LoanEvent.event_id.in_(sorted(set(values["event_id"][~bad].tolist())))
            )
        )
    }
    counts = {"received": n, "inserted": 0, "duplicate": 0, "rejected": 0}
    order = np.lexsort((lines, values["event_date"]))  # apply in business order
    for i in order:
        if bad[i]:
            continue
        event_id, contract = str(values["event_id"][i]), str(values["contract_no"][i])
        loan = loans.get(contract)
        content = (
            contract,
            str(values["event_type"][i]),
            values["event_date"][i].item(),
            int(values["amount"][i]),
            int(values["dpd"][i]),
        )
        if loan is None:
            rejections.append(
                {
                    "line": int(lines[i]),
                    "field": "contract_no",
                    "reason": "该行无此合同 / no loan with "
                    "this contract number at this bank (report the disbursement first)",
                }
            )
            bad[i] = True
            continue
        if event_id in known:
            e = known[event_id]
            if (loan.contract_no, e.event_type, e.event_date, e.amount, e.dpd) == content:
                counts["duplicate"] += 1
            else:
                rejections.append(
                    {
                        "line": int(lines[i]),
                        "field": "event_id",
                        "reason": "同一事件编号内容不同 / this event id was sent before with other content",
                    }
                )
                bad[i] = True
            continue
        e = LoanEvent(
            bank_code=bank_code,
            event_id=event_id,
            loan_id=loan.id,
            event_type=content[1],
            event_date=content[2],
            amount=content[3],
            dpd=content[4],
        )
        session.add(e)
        known[event_id] = e
        _apply(loan, e)
        counts["inserted"] += 1
    counts["rejected"] = int(bad.sum())
    session.flush()
    audit.record(session, actor=actor, action="loan.events", bank_code=bank_code, resource="loan_event", details=counts)
    return {**counts, "rejections": sorted(rejections, key=lambda r: r["line"])}


def _apply(loan: Loan, event: LoanEvent) -> None:
    """Move the loan by one event: the latest days past due, and the end states."""
    if event.event_type in ("overdue", "default"):
        loan.dpd = max(event.dpd, 1)
    elif event.event_type == "repayment" and event.dpd == 0:
        loan.dpd = 0
    if event.event_type in STATE_AFTER:
        loan.status = STATE_AFTER[event.event_type]
        if event.event_type == "closure":
            loan.dpd = 0


def dpd_bucket(dpd: int, buckets: tuple[int, ...] = (30, 60, 90)) -> str:
    """The delinquency bucket of days past due: current, 1–30, 31–60, 61–90, 90+ (configurable edges)."""
    if dpd <= 0:
        return "current"
    lo = 1
    for edge in buckets:
        if dpd <= edge:
            return f"{lo}-{edge}"
        lo = edge + 1
    return f"{buckets[-1]}+"


def read_events_csv(data: bytes) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """An outcome-event CSV as text columns and line numbers (UTF-8 or GB18030)."""
    text, _ = decode(data)
    reader = csv.DictReader(io.StringIO(text))
    expected = [f.name for f in EVENT_FIELDS]
    missing = [c for c in expected if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid("表头不符 / the header does not match", {"missing": missing})
    rows = list(reader)
    columns = {c: np.array([r.get(c) or "" for r in rows], dtype=str) for c in expected}
    return columns, np.arange(2, len(rows) + 2)


def list_for_bank(session: Session, bank_code: str) -> list[Loan]:
    """The bank's loans, oldest first (only its own: isolation)."""
    return list(session.scalars(sa.select(Loan).where(Loan.bank_code == bank_code).order_by(Loan.id)))


def one_event(**event) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A single event (as typed into a form: text values) as the columns :func:`record_events` takes."""
    return {f.name: np.array([str(event.get(f.name, "") or "")]) for f in EVENT_FIELDS}, np.array([1])
