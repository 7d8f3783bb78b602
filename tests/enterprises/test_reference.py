"""Reference data: the province's current GB/T 2260 divisions, the GB/T 4754-2017 divisions, size classes."""

import csv
import io
from importlib import resources

import pytest

from bank_tax.enterprises import reference
from bank_tax.enterprises.reference import (
    INDUSTRY_SECTIONS,
    divisions,
    industry_name,
    region_name,
    region_problem,
    size_name,
)


def _raw(name):
    text = resources.files("bank_tax.enterprises").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_zhejiang_has_one_province_11_cities_and_90_county_level_divisions():
    table = reference.division_table()
    levels = [d.level for d in table.values()]
    assert levels.count("province") == 1 and levels.count("prefecture") == 11 and levels.count("county") == 90
    assert len(divisions()) == 90 == len(divisions("33"))
    assert [d.code for d in table.values() if d.level == "prefecture"] == [f"33{i:02d}00" for i in range(1, 12)]
    # every county sits under its own prefecture, and the codes are unique 6-digit strings
    rows = _raw("divisions_33.csv")
    assert len({r["code"] for r in rows}) == len(rows) == 102
    for d in table.values():
        assert len(d.code) == 6 and d.code.isdigit() and d.code.startswith("33")
        if d.level == "county":
            assert d.parent == d.code[:4] + "00" and table[d.parent].level == "prefecture"
            assert d.zh[-1] in "区县市" and d.en.endswith(("District", "County", "City"))
    # per city, as the 2023 code list has them
    per_city = {c[:4]: len(divisions(c[:4])) for c, d in table.items() if d.level == "prefecture"}
    assert per_city == {
        "3301": 13, "3302": 10, "3303": 12, "3304": 7, "3305": 5, "3306": 6,
        "3307": 9, "3308": 6, "3309": 4, "3310": 9, "3311": 9,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("330102", "杭州市上城区", "Shangcheng District, Hangzhou"),
        ("330113", "杭州市临平区", "Linping District, Hangzhou"),
        ("330114", "杭州市钱塘区", "Qiantang District, Hangzhou"),
        ("330112", "杭州市临安区", "Lin'an District, Hangzhou"),
        ("330382", "温州市乐清市", "Yueqing City, Wenzhou"),
        ("330383", "温州市龙港市", "Longgang City, Wenzhou"),
        ("331082", "台州市临海市", "Linhai City, Taizhou"),
        ("330783", "金华市东阳市", "Dongyang City, Jinhua"),
        ("330782", "金华市义乌市", "Yiwu City, Jinhua"),
        ("331127", "丽水市景宁畲族自治县", "Jingning She Autonomous County, Lishui"),
        ("330100", "杭州市", "Hangzhou"),
        ("3301", "杭州市", "Hangzhou"),
        ("3310", "台州市", "Taizhou"),
        ("330000", "浙江省", "Zhejiang"),
        ("33", "浙江省", "Zhejiang"),
    ],
)
def test_known_codes_have_their_names(code, zh, en):
    assert region_name(code) == zh
    assert region_name(code, "zh") == zh
    assert region_name(code, "en") == en


@pytest.mark.parametrize(
    "code", ["330103", "330104", "330183", "331021", "339999", "110101", "3312", "", "33010", "abc"]
)
def test_withdrawn_and_unknown_codes_have_no_name(code):
    """Xiacheng and Jianggan went in 2021, Fuyang and Yuhuan became a district and a city; others never existed."""
    assert region_name(code) is None and region_name(code, "en") is None


def test_divisions_for_a_select_box():
    hz = divisions("3301")
    assert [c for c, _ in hz] == [
        "330102", "330105", "330106", "330108", "330109", "330110", "330111",
        "330112", "330113", "330114", "330122", "330127", "330182",
    ]  # fmt: skip
    assert hz[0] == ("330102", "杭州市上城区") and hz[-1] == ("330182", "杭州市建德市")
    everything = divisions()
    assert everything == sorted(everything) and all(isinstance(c, str) for c, _ in everything)
    assert divisions("11") == []


def test_region_problem_names_withdrawn_and_unknown_codes():
    for code, _ in divisions():
        assert region_problem(code) is None
    assert region_problem("330100") is None and region_problem("330000") is None
    xiacheng = region_problem("330103")
    assert "下城区" in xiacheng and "拱墅区" in xiacheng and "330105" in xiacheng and " / " in xiacheng
    jianggan = region_problem("330104")
    assert "330102" in jianggan and "330114" in jianggan
    unknown = region_problem("330199")
    assert "330199" in unknown and "浙江省" in unknown and "Zhejiang" in unknown
    assert region_problem("3301") is not None  # not a 6-digit code
    # other provinces are not shipped, so not judged
    assert region_problem("110101") is None and region_problem("990101") is None


def test_97_industry_divisions_each_inside_its_section():
    rows = _raw("industry_divisions.csv")
    assert [r["code"] for r in rows] == [f"{i:02d}" for i in range(1, 98)]
    for r in rows:
        lo, hi = INDUSTRY_SECTIONS[r["section"]][:2]
        assert lo <= int(r["code"]) <= hi, r
        assert r["name_zh"] and r["name_en"]
    # every section's range is exactly the divisions listed under it
    for letter, (lo, hi, _, _) in INDUSTRY_SECTIONS.items():
        assert {r["code"] for r in rows if r["section"] == letter} == {f"{i:02d}" for i in range(lo, hi + 1)}
    assert len({r["name_zh"] for r in rows}) == 97


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("F52", "零售业", "Retail trade"),
        ("F51", "批发业", "Wholesale trade"),
        ("C18", "纺织服装、服饰业", "Manufacture of textile garments and apparel"),
        ("A05", "农、林、牧、渔专业及辅助性活动", None),  # 2017 name (2011: 农、林、牧、渔服务业)
        ("B11", "开采专业及辅助性活动", None),
        ("C25", "石油、煤炭及其他燃料加工业", None),
        ("G58", "多式联运和运输代理业", None),
        ("G59", "装卸搬运和仓储业", None),
        ("N79", "土地管理业", None),  # new in 2017
        ("I65", "软件和信息技术服务业", "Software and information technology services"),
        ("T97", "国际组织", None),
        ("F", "批发和零售业", "Wholesale and retail trade"),
        ("C", "制造业", "Manufacturing"),
    ],
)
def test_industry_names(code, zh, en):
    assert industry_name(code) == zh
    if en is not None:
        assert industry_name(code, "en") == en
    else:
        assert industry_name(code, "en")


@pytest.mark.parametrize("code", ["C52", "F53", "Z01", "X", "F98", "F5", "", "F520"])
def test_unknown_industry_codes_have_no_name(code):
    assert industry_name(code) is None


def test_size_names():
    assert [size_name(s) for s in ("micro", "small", "medium", "large")] == ["微型", "小型", "中型", "大型"]
    assert [size_name(s, "en") for s in ("micro", "small", "medium", "large")] == ["Micro", "Small", "Medium", "Large"]
    assert size_name("huge") is None
