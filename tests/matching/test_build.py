"""Whitelists built by partitions for several banks at once: each partition is read once for every bank,
the editions equal those generated bank by bank in one go, and an edition still being built is shown to
nobody."""

import pytest
import sqlalchemy as sa

from bank_tax import clock
from bank_tax.batch import daily, runner
from bank_tax.db import db
from bank_tax.errors import NotFound
from bank_tax.matching import service
from bank_tax.matching.models import WhitelistEdition, WhitelistEntry
from tests import factories
from tests.matching.helpers import firm

pytestmark = pytest.mark.dated  # firms' records are dated relative to the clock's moment


@pytest.fixture
def banks(session):
    a, b, c = factories.bank(session), factories.bank(session), factories.bank(session)
    factories.product(session, a.code, "YSD")
    factories.product(session, a.code, "YSD2")
    factories.product(session, b.code, "YSD")  # c has no product: its edition is empty
    for i, (grade, paid) in enumerate(zip("ABABCABAB", ["3600.00", "9000.00", "1200.00"] * 3, strict=True)):
        f = firm(session, grade=grade, tax_paid=paid)
        target = (None, a.code, b.code)[i % 3]  # to all banks, or to one
        factories.consent(session, uscc=f.uscc, bank_code=target, purpose="pre_screen", categories=("tax",))
    session.flush()
    return [a.code, b.code, c.code]


def _entries(session, edition_id):
    t = WhitelistEntry.__table__
    return session.execute(
        sa.select(t.c.rank, t.c.uscc, t.c.product_code, t.c.limit_yuan, t.c.pd, t.c.reasons, t.c.consent_id)
        .where(t.c.edition_id == edition_id)
        .order_by(t.c.rank)
    ).all()


def test_several_banks_by_partitions_equal_each_bank_in_one_go(app, session, champion, banks, monkeypatch):
    from bank_tax.features import pipeline

    moment = clock.now()
    reads = []
    real = pipeline.read

    def read(session, *, usccs, as_of):  # the real read, counted (on either backend: COPY has no SQL events)
        reads.append(len(usccs))
        return real(session, usccs=usccs, as_of=as_of)

    with app.app_context():
        monkeypatch.setattr(pipeline, "read", read)
        summary = runner.run(
            "whitelists", session=session, as_of=moment, partition_firms=2, params={"banks": banks, "actor": None}
        )
        monkeypatch.setattr(pipeline, "read", real)
        together = {
            e.bank_code: e
            for e in session.scalars(sa.select(WhitelistEdition).where(WhitelistEdition.batch_run_id == summary.run_id))
        }
        alone = {code: daily.whitelist(session, bank_code=code, actor=None, as_of=moment) for code in banks}
    assert summary.status == "done" and summary.partitions == 5
    assert reads == [2, 2, 2, 2, 1]  # each partition's records read once, for all three banks
    for code in banks:
        a, b = together[code], alone[code]
        assert (a.n_firms, a.digest, a.n_products) == (b.n_firms, b.digest, b.n_products)
        assert _entries(session, a.id) == _entries(session, b.id)
    # a: six consenting, less the C-graded firm its products refuse; b: six consenting; c: no product
    assert [together[code].n_firms for code in banks] == [5, 6, 0]
    ranks = [r[0] for r in _entries(session, together[banks[1]].id)]
    assert ranks == list(range(1, 7))  # ranked across partitions, once all were in


def test_an_edition_being_built_is_shown_to_nobody(app, session, champion, banks):
    moment = clock.now()
    with app.app_context():
        run = runner.start(session, "whitelists", as_of=moment, partition_firms=2, params={"banks": banks[:1]})
        assert run.n_partitions == 5
        with pytest.raises(NotFound):
            service.edition_of(session, bank_code=banks[0])
        assert service.editions(session, bank_code=banks[0]) == []
        done = runner.run("whitelists", session=session, as_of=moment, partition_firms=2, params={"banks": banks[:1]})
        assert done.run_id == run.id and done.status == "done"  # the unfinished run was resumed
        edition = service.edition_of(session, bank_code=banks[0])
    assert edition.batch_run_id == run.id and edition.digest and edition.n_firms == 5


def test_an_edition_keeps_the_product_versions_it_began_with(app, session, champion, banks, monkeypatch):
    """A bank changes a product's rules and pauses another while its edition is being built: the partitions
    after the change still apply the rules the edition began with, so it equals an edition built before
    any change; the next edition uses the new rules."""
    from bank_tax.matching import build
    from bank_tax.products import service as products

    moment = clock.now()
    bank = banks[0]
    officer = factories.user(session, "bank_admin", bank_code=bank)
    from bank_tax.security import service as security

    actor = security.principal_of(officer)
    real, calls = build.partition, []

    def partition(session, run, usccs):  # the real partition; after the first, the bank edits its products
        calls.append(len(usccs))
        if len(calls) == 2:
            ysd = products.get(session, bank_code=bank, code="YSD")
            tight = {**products.rules_of(session, ysd), "min_tax_12m": 10**9}  # nobody qualifies any more
            products.update(session, product=ysd, rules=tight, actor=actor)
            products.set_status(
                session, product=products.get(session, bank_code=bank, code="YSD2"), status="paused", actor=actor
            )
            session.flush()
        return real(session, run, usccs)

    with app.app_context():
        before = daily.whitelist(session, bank_code=bank, actor=None, as_of=moment)
        monkeypatch.setattr(build, "partition", partition)
        during = runner.run("whitelists", session=session, as_of=moment, partition_firms=2, params={"banks": [bank]})
        monkeypatch.setattr(build, "partition", real)
        built = session.scalars(sa.select(WhitelistEdition).where(WhitelistEdition.batch_run_id == during.run_id)).one()
        after = daily.whitelist(session, bank_code=bank, actor=None, as_of=moment)
    assert len(calls) == 5 and before.n_firms == 5
    assert (built.n_firms, built.digest, built.n_products) == (before.n_firms, before.digest, before.n_products)
    assert _entries(session, built.id) == _entries(session, before.id)
    ysd = products.get(session, bank_code=bank, code="YSD")
    assert after.n_firms == 0 and after.products == f"[[{ysd.id}, 2]]"  # YSD's new rules refuse all; YSD2 paused


def test_the_cli_builds_every_bank_in_one_run_committed_by_partition(committing_app, fitted, tmp_path):
    factories.champion_registry(committing_app, fitted, tmp_path / "models")
    with committing_app.app_context(), db.scope() as s:
        a, b = factories.bank(s), factories.bank(s)
        factories.product(s, a.code, "YSD")
        factories.product(s, b.code, "YSD")
        for _ in range(5):
            f = firm(s)
            factories.consent(s, uscc=f.uscc, bank_code=None, purpose="pre_screen", categories=("tax",))
    out = committing_app.test_cli_runner().invoke(args=["whitelist", "generate", "--partition-firms", "2"])
    assert out.exit_code == 0, out.output
    with committing_app.app_context(), db.scope() as s:
        editions = s.scalars(sa.select(WhitelistEdition).order_by(WhitelistEdition.bank_code)).all()
        runs = {e.batch_run_id for e in editions}
    assert len(editions) == 2 and len(runs) == 1 and all(e.n_firms == 5 and e.digest for e in editions)
    assert f"{a.code}: edition" in out.output and f"{b.code}: edition" in out.output
