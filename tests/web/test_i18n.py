"""Every record field has a heading in both languages; bilingual titles split by language."""

import pytest

from bank_tax.sources.specs import SOURCES
from bank_tax.web.i18n import FIELD_LABELS


def test_every_shown_record_field_has_a_chinese_and_an_english_heading():
    shown = {f.name for s in SOURCES.values() for f in s.fields} - {"uscc", "version", "received_at"}
    assert shown <= set(FIELD_LABELS), sorted(shown - set(FIELD_LABELS))
    assert all(zh and en and zh != en for zh, en in FIELD_LABELS.values())


@pytest.mark.parametrize(
    ("lang", "metric", "value", "change", "shown", "changed"),
    [
        ("zh", "amount", 17_650_000.0, -9_260_000.0, "1,765.00 万元", "−926.00 万元"),
        ("en", "amount", 17_650_000.0, 0.0, "1,765.00 ×10k CNY", "±0.00 ×10k CNY"),
        ("zh", "approval_rate", 0.8125, 0.015, "81.25%", "+1.50 个百分点"),
        ("zh", "average_rate", 5.1545, 0.5881, "5.15%", "+0.59 个百分点"),
        ("zh", "applications", 1234, 12, "1,234", "+12"),
        ("zh", "npl_ratio", None, None, "—", ""),
    ],
)
def test_report_metrics_read_in_units_with_separators(app, lang, metric, value, change, shown, changed):
    from bank_tax.web import i18n

    with app.test_request_context(headers={"Accept-Language": lang}):
        assert i18n.metric_value(metric, value) == shown
        assert i18n.metric_change(metric, change) == changed
        assert "_" not in i18n.metric_label(metric)


def test_codes_are_shown_by_their_names(app):
    from bank_tax.web import i18n

    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert i18n.region_name("330102") == "杭州市上城区"
        assert i18n.industry_name("F52") == "零售业"
        assert i18n.size_name("large") == "大型"
        assert i18n.source_name("vat_declarations") == "增值税申报"
        assert i18n.reason_text("[check_character] 校验码应为 X / check character should be X") == "校验码应为 X"
        assert i18n.job_name("pipeline.run") == "每日评分批处理"
        assert i18n.region_name("999999") == "999999"  # unknown: the code, not nothing
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert i18n.region_name("330102") == "Shangcheng District, Hangzhou"
        assert i18n.deduction_name("arrear_open_at_year_end") == "arrears open at year end"
