"""Reference codes a firm's registration is checked against, and their names: divisions (GB/T 2260), industries
(GB/T 4754-2017), size classes."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

# section → (first division, last division, 中文, English)
INDUSTRY_SECTIONS: dict[str, tuple[int, int, str, str]] = {
    "A": (1, 5, "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": (6, 12, "采矿业", "Mining"),
    "C": (13, 43, "制造业", "Manufacturing"),
    "D": (44, 46, "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    "E": (47, 50, "建筑业", "Construction"),
    "F": (51, 52, "批发和零售业", "Wholesale and retail trade"),
    "G": (53, 60, "交通运输、仓储和邮政业", "Transport, storage and post"),
    "H": (61, 62, "住宿和餐饮业", "Accommodation and catering"),
    "I": (63, 65, "信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": (66, 69, "金融业", "Finance"),
    "K": (70, 70, "房地产业", "Real estate"),
    "L": (71, 72, "租赁和商务服务业", "Leasing and business services"),
    "M": (73, 75, "科学研究和技术服务业", "Scientific research and technical services"),
    "N": (76, 79, "水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    "O": (80, 82, "居民服务、修理和其他服务业", "Resident services, repair and other services"),
    "P": (83, 83, "教育", "Education"),
    "Q": (84, 85, "卫生和社会工作", "Health and social work"),
    "R": (86, 90, "文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": (91, 96, "公共管理、社会保障和社会组织", "Public administration, social security and social organizations"),
    "T": (97, 97, "国际组织", "International organizations"),
}

PROVINCE_PREFIX = "33"  # the province whose division list is shipped (data/divisions_33.csv)

SIZE_CLASSES = {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"}


def industry_problem(code: str) -> str | None:
    """Return why ``code`` (section letter + 2-digit division, e.g. ``C18``) is not valid, else None."""
    if len(code) != 3 or not code[1:].isdigit():
        return "行业代码格式为门类字母+2位大类，如 C18 / format is section letter + 2-digit division, e.g. C18"
    section = INDUSTRY_SECTIONS.get(code[0])
    if section is None:
        return f"未知的行业门类 {code[0]} / unknown GB/T 4754 section {code[0]}"
    lo, hi = section[0], section[1]
    if not lo <= int(code[1:]) <= hi:
        return f"门类 {code[0]} 的大类应在 {lo:02d}–{hi:02d} / section {code[0]} has divisions {lo:02d}–{hi:02d}"
    return None


# --- names for codes: GB/T 2260 divisions of the province, GB/T 4754-2017 divisions, size classes --------------
#
# data/divisions_33.csv: Zhejiang (330000), its 11 prefecture-level cities and its 90 county-level divisions
# (市辖区 / 县 / 县级市), current since Hangzhou's 2021 re-division. Taken from xiangyuecn/AreaCity-JsSpider-StatsGov
# (statistics bureau and 民政部 lists, release 2023.240319.250114) and identical, code for code and name for name, in
# modood/Administrative-divisions-of-China (统计用区划代码, 2022 edition); English names are the pinyin and the type.
# data/industry_divisions.csv: the 97 大类 of GB/T 4754-2017 with their section; English names are ours.

SIZE_NAMES_EN = {"micro": "Micro", "small": "Small", "medium": "Medium", "large": "Large"}

# Codes withdrawn in Hangzhou's 2021 re-division (浙江省人民政府通知, 2021-03-11), and where their area went.
FORMER_DIVISIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "330103": ("下城区", "Xiacheng District", ("330105",)),
    "330104": ("江干区", "Jianggan District", ("330102", "330114")),
}


@dataclass(frozen=True)
class Division:
    """One GB/T 2260 division: ``level`` is province, prefecture or county."""

    code: str
    level: str
    parent: str
    zh: str
    en: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("bank_tax.enterprises").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def division_table() -> dict[str, Division]:
    """Every shipped division by its 6-digit code (strings throughout: codes are not numbers)."""
    return {
        r["code"]: Division(r["code"], r["level"], r["parent"], r["name_zh"], r["name_en"])
        for r in _rows("divisions_33.csv")
    }


@functools.cache
def industry_divisions() -> dict[str, tuple[str, str, str]]:
    """GB/T 4754-2017 大类: 2-digit code → (section letter, 中文, English)."""
    return {r["code"]: (r["section"], r["name_zh"], r["name_en"]) for r in _rows("industry_divisions.csv")}


def _full_code(code: str) -> str | None:
    code = (code or "").strip()
    if not code.isdigit() or len(code) not in (2, 4, 6):
        return None
    return code.ljust(6, "0")


def region_name(code: str, lang: str = "zh") -> str | None:
    """The division's name as people write it: 杭州市上城区 / "Shangcheng District, Hangzhou"; None when unknown.

    A 6-digit county-level code gives city + county; a prefecture code (``330100`` or ``3301``) the city;
    ``330000`` or ``33`` the province.
    """
    full = _full_code(code)
    table = division_table()
    d = table.get(full) if full else None
    if d is None:
        return None
    en = lang == "en"
    if d.level != "county":
        return d.en if en else d.zh
    city = table[d.parent]
    return f"{d.en}, {city.en}" if en else city.zh + d.zh


def divisions(prefix: str = "33") -> list[tuple[str, str]]:
    """County-level divisions whose code starts with ``prefix``, as (code, full 中文 name), sorted by code.

    The name is the full one (杭州市上城区): bare county names repeat across cities and provinces.
    """
    table = division_table()
    return sorted(
        (c, table[d.parent].zh + d.zh) for c, d in table.items() if d.level == "county" and c.startswith(prefix)
    )


def region_problem(code: str) -> str | None:
    """Why ``code`` is not a current division of the shipped province (prefix 33), else None.

    Codes of other provinces are not checked (None): only Zhejiang's list is shipped. Province, prefecture and
    county-level codes are all current divisions.
    """
    code = (code or "").strip()
    if not code.startswith(PROVINCE_PREFIX):
        return None
    if len(code) != 6 or not code.isdigit():
        return "行政区划代码应为6位数字 / a 6-digit administrative division code (GB/T 2260)"
    if code in division_table():
        return None
    if code in FORMER_DIVISIONS:
        zh, en, now = FORMER_DIVISIONS[code]
        now_zh = "、".join(f"{region_name(c)} {c}" for c in now)
        now_en = " and ".join(f"{region_name(c, 'en')} {c}" for c in now)
        return (
            f"{code}（原杭州市{zh}）已于2021年撤销，现属{now_zh} / "
            f"{code} ({en}, Hangzhou) was withdrawn in 2021; its area is now in {now_en}"
        )
    return f"{code} 不是浙江省现行的行政区划代码 / {code} is not a current Zhejiang division code (GB/T 2260)"


def industry_name(code: str, lang: str = "zh") -> str | None:
    """The name of a GB/T 4754-2017 division (``F52`` → 零售业) or section (``F``); None when unknown.

    A bare 2-digit division (``52``) is accepted too; a letter that does not own the division (``C52``) is unknown.
    """
    code = (code or "").strip().upper()
    en = lang == "en"
    if len(code) == 1:
        section = INDUSTRY_SECTIONS.get(code)
        return None if section is None else section[3 if en else 2]
    if len(code) == 3 and code[0].isalpha():
        letter, code = code[0], code[1:]
    elif len(code) == 2:
        letter = None
    else:
        return None
    row = industry_divisions().get(code)
    if row is None or (letter is not None and row[0] != letter):
        return None
    return row[2 if en else 1]


def size_name(code: str, lang: str = "zh") -> str | None:
    """微型/小型/中型/大型 (Micro/Small/Medium/Large) for a size class; None when unknown."""
    return (SIZE_NAMES_EN if lang == "en" else SIZE_CLASSES).get(code)
