"""Page texts in Chinese (default, for firms and loan officers) and English."""

from __future__ import annotations

from flask import request, session

LANGUAGES = ("zh", "en")

TEXTS: dict[str, dict[str, str]] = {
    "app_name": {"zh": "银税互动服务平台", "en": "Bank-Tax Credit Platform"},
    "tagline": {"zh": "以信换贷：纳税信用好，贷款更容易", "en": "Honest tax records, easier loans"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出登录", "en": "Log out"},
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码", "en": "Password"},
    "welcome": {"zh": "欢迎", "en": "Welcome"},
    "role": {"zh": "角色", "en": "Role"},
    "api_docs": {"zh": "接口文档", "en": "API documentation"},
    "login_failed": {"zh": "用户名或密码错误", "en": "Wrong username or password"},
    "not_logged_in": {"zh": "您尚未登录。", "en": "You are not logged in."},
    "error": {"zh": "出错了", "en": "Something went wrong"},
    "home": {"zh": "首页", "en": "Home"},
    "role_enterprise": {"zh": "企业用户", "en": "Enterprise"},
    "role_bank_officer": {"zh": "银行客户经理", "en": "Loan officer"},
    "role_bank_admin": {"zh": "银行管理员", "en": "Bank admin"},
    "role_analyst": {"zh": "数据分析师", "en": "Analyst"},
    "role_operator": {"zh": "平台运营", "en": "Operator"},
    "role_admin": {"zh": "系统管理员", "en": "Administrator"},
}


def current_language() -> str:
    """The chosen language: the session's choice, else the browser's preference, else Chinese."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="zh") or "zh"


def t(key: str) -> str:
    """The text for ``key`` in the current language (the key itself when nobody wrote one)."""
    return TEXTS.get(key, {}).get(current_language(), key)
