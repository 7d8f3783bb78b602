"""Every record field has a heading in both languages; bilingual titles split by language."""

from bank_tax.sources.specs import SOURCES
from bank_tax.web.i18n import FIELD_LABELS


def test_every_shown_record_field_has_a_chinese_and_an_english_heading():
    shown = {f.name for s in SOURCES.values() for f in s.fields} - {"uscc", "version", "received_at"}
    assert shown <= set(FIELD_LABELS), sorted(shown - set(FIELD_LABELS))
    assert all(zh and en and zh != en for zh, en in FIELD_LABELS.values())
