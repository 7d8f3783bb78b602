"""Reference codes a firm's registration is checked against: industries (GB/T 4754-2017), size classes."""

from __future__ import annotations

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
