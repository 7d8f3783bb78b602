"""Names and places of the synthetic province (Zhejiang-like: division prefix 33)."""

from __future__ import annotations

import numpy as np

from bank_tax.enterprises import reference

# prefecture code (GB/T 2260, 4 digits) → (name, weight by economic size)
CITIES: dict[str, tuple[str, float]] = {
    "3301": ("杭州", 0.22),
    "3302": ("宁波", 0.17),
    "3303": ("温州", 0.13),
    "3304": ("嘉兴", 0.09),
    "3305": ("湖州", 0.05),
    "3306": ("绍兴", 0.09),
    "3307": ("金华", 0.11),
    "3308": ("衢州", 0.03),
    "3309": ("舟山", 0.02),
    "3310": ("台州", 0.07),
    "3311": ("丽水", 0.02),
}


def counties(prefecture: str) -> list[str]:
    """The current county-level division codes (6 digits) of a prefecture, from the shipped GB/T 2260 list."""
    return [code for code, _ in reference.divisions(prefecture)]


def region_codes(rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
    """For each firm's index into ``CITIES``, one of that city's real county-level codes, uniformly at random.

    The codes are drawn from a jumped copy of ``rng``; ``rng`` itself advances exactly as the former draw of
    one of 10 made-up suffixes did, so every later draw for a seed (health, sales, loans…) is unchanged.
    """
    lists = [counties(c) for c in CITIES]
    if not all(lists):
        raise ValueError("a city in CITIES has no county-level divisions in the shipped data")
    n = city.shape[0]
    table = np.array([ls + [""] * (max(map(len, lists)) - len(ls)) for ls in lists])
    count = np.array([len(ls) for ls in lists])
    own = np.random.Generator(rng.bit_generator.jumped())
    rng.integers(0, 10, n)  # the former rng.choice(DISTRICTS, n): keeps the rest of the stream for a seed
    k = (own.random(n) * count[city]).astype(np.int64)
    return table[city, k]


# GB/T 4754 section → weight among SMEs, and the word the firm's name uses
SECTIONS: dict[str, tuple[float, list[str]]] = {
    "C": (0.30, ["机械制造", "纺织", "五金制品", "电子科技", "塑料制品", "服装", "食品", "模具"]),
    "F": (0.28, ["贸易", "商贸", "供应链", "建材经营部", "电器销售"]),
    "E": (0.06, ["建筑工程", "装饰工程", "安装工程"]),
    "G": (0.05, ["物流", "运输", "仓储"]),
    "H": (0.06, ["餐饮管理", "酒店管理"]),
    "I": (0.06, ["网络科技", "软件", "信息技术"]),
    "L": (0.07, ["企业管理咨询", "广告", "人力资源"]),
    "M": (0.05, ["检测技术", "设计", "环保科技"]),
    "A": (0.03, ["农业开发", "生态农业", "水产养殖"]),
    "O": (0.04, ["家政服务", "汽车维修", "美容"]),
}
TRADE_NAMES = list("恒丰瑞华鑫盛达通泰安康宏远博创汇金隆兴聚源嘉禾永福天成昌明振宇立信宏图新越明德之江钱塘")


def company_names(rng: np.random.Generator, cities: np.ndarray, words: np.ndarray) -> np.ndarray:
    """'<city><two-character trade name><industry word>有限公司', e.g. 杭州恒丰机械制造有限公司."""
    n = cities.shape[0]
    a = rng.integers(0, len(TRADE_NAMES), n)
    b = rng.integers(0, len(TRADE_NAMES), n)
    trade = np.char.add(np.array(TRADE_NAMES)[a], np.array(TRADE_NAMES)[b])
    return np.char.add(np.char.add(np.char.add(cities, trade), words), "有限公司")
