"""Words of the verification page in Kazakh, Russian and English (the fallback), keyed by stable codes.

The page never shows a code alone: each check, outcome, verdict and common reason has a label here;
a reason without a label shows the core's plain English sentence.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("kk", "ru", "en")
FALLBACK: Final = "en"

UI: Final[dict[str, dict[str, str]]] = {
    "title": {"kk": "Рұқсатты тексеру", "ru": "Проверка разрешения", "en": "Permit verification"},
    "subtitle": {
        "kk": "Қамтамасыз етілген цифрлық активтерді шығаруға және айналысқа рұқсат",
        "ru": "Разрешение на выпуск и обращение обеспеченных цифровых активов",
        "en": "Permit for the issue and circulation of secured digital assets",
    },
    "number": {"kk": "Рұқсат нөмірі", "ru": "Номер разрешения", "en": "Permit number"},
    "document": {"kk": "Құжат (JSON)", "ru": "Документ (JSON)", "en": "Document (JSON)"},
    "signature": {"kk": "Қолтаңба (.p7s)", "ru": "Подпись (.p7s)", "en": "Signature (.p7s)"},
    "hash": {"kk": "SHA-256 хэші", "ru": "Хэш SHA-256", "en": "SHA-256 hash"},
    "at": {"kk": "Қай сәтке (міндетті емес)", "ru": "На момент (необязательно)", "en": "At (optional)"},
    "submit": {"kk": "Тексеру", "ru": "Проверить", "en": "Verify"},
    "verdict": {"kk": "Қорытынды", "ru": "Итог", "en": "Verdict"},
    "check": {"kk": "Тексеру", "ru": "Проверка", "en": "Check"},
    "result": {"kk": "Нәтиже", "ru": "Результат", "en": "Result"},
    "details": {"kk": "Түсініктеме", "ru": "Пояснение", "en": "Explanation"},
    "checked_at": {"kk": "Тексерілген сәт", "ru": "Момент проверки", "en": "Checked at"},
    "notes": {"kk": "Ескертпелер", "ru": "Замечания", "en": "Notes"},
    "error": {"kk": "Қате", "ru": "Ошибка", "en": "Error"},
    "again": {
        "kk": "Басқа рұқсатты тексеру",
        "ru": "Проверить другое разрешение",
        "en": "Check another permit",
    },
    "source": {
        "kk": "Деректер көзі — реттеушінің блокчейн тізілімі",
        "ru": "Источник данных — блокчейн-реестр регулятора",
        "en": "Source of truth: the regulator's blockchain register",
    },
}

CHECKS: Final[dict[str, dict[str, str]]] = {
    "integrity": {"kk": "Құжаттың тұтастығы", "ru": "Целостность документа", "en": "Document integrity"},
    "signature": {"kk": "ЭЦҚ қолтаңбасы", "ru": "Подпись ЭЦП", "en": "Digital signature"},
    "anchor": {"kk": "Блокчейнде тіркелуі", "ru": "Запись в блокчейне", "en": "Anchored on chain"},
    "status": {
        "kk": "Мәртебесі (кері қайтарылмаған, тоқтатылмаған)",
        "ru": "Статус (не отозвано, не приостановлено)",
        "en": "Status (not revoked or suspended)",
    },
    "validity": {"kk": "Қолданылу мерзімі", "ru": "Срок действия", "en": "Validity period"},
    "issuer": {"kk": "Эмитент тізілімде", "ru": "Эмитент в реестре", "en": "Issuer in the register"},
}

OUTCOMES: Final[dict[str, dict[str, str]]] = {
    "pass": {"kk": "Өтті", "ru": "Пройдена", "en": "Passed"},
    "fail": {"kk": "Өтпеді", "ru": "Не пройдена", "en": "Failed"},
    "unknown": {"kk": "Тексерілмеді", "ru": "Не проверено", "en": "Not checked"},
}

VERDICTS: Final[dict[str, dict[str, str]]] = {
    "valid": {"kk": "Рұқсат жарамды", "ru": "Разрешение действительно", "en": "The permit is valid"},
    "invalid": {"kk": "Рұқсат жарамсыз", "ru": "Разрешение недействительно", "en": "The permit is not valid"},
    "unconfirmed": {
        "kk": "Толық расталмады",
        "ru": "Подлинность подтверждена не полностью",
        "en": "Not fully confirmed",
    },
}

# (check code, reason code) -> a sentence; {placeholders} come from the check's details.
REASONS: Final[dict[tuple[str, str], dict[str, str]]] = {
    ("integrity", "match"): {
        "kk": "Құжат блокчейнде тіркелген құжатпен дәл сәйкес келеді",
        "ru": "Документ в точности совпадает с записанным в блокчейне",
        "en": "The document is exactly the one anchored on chain",
    },
    ("integrity", "hash_mismatch"): {
        "kk": "Құжат өзгертілген: хэші тіркелген хэшке сәйкес емес",
        "ru": "Документ изменён: его хэш не совпадает с записанным",
        "en": "The document was altered: its hash differs from the anchored one",
    },
    ("signature", "valid"): {
        "kk": "Реттеуші басшысының жарамды ЭЦҚ қолтаңбасы",
        "ru": "Действительная подпись ЭЦП руководителя регулятора",
        "en": "A valid signature of the regulator's authorised official",
    },
    ("anchor", "anchored"): {
        "kk": "{block_number} блокта тіркелген, транзакция {tx_hash}",
        "ru": "Записано в блоке {block_number}, транзакция {tx_hash}",
        "en": "Anchored in block {block_number}, transaction {tx_hash}",
    },
    ("anchor", "not_found"): {
        "kk": "Мұндай рұқсат блокчейнде жоқ",
        "ru": "Такого разрешения в блокчейне нет",
        "en": "No such permit on the chain",
    },
    ("status", "in_force"): {
        "kk": "Кері қайтарылмаған және тоқтатылмаған",
        "ru": "Не отозвано и не приостановлено",
        "en": "Not revoked and not suspended",
    },
    ("status", "revoked"): {
        "kk": "{day} кері қайтарылды, себебі {reason}",
        "ru": "Отозвано {day}, причина {reason}",
        "en": "Revoked on {day}, reason {reason}",
    },
    ("status", "suspended"): {
        "kk": "{day} тоқтатылды, себебі {reason}",
        "ru": "Приостановлено {day}, причина {reason}",
        "en": "Suspended on {day}, reason {reason}",
    },
    ("validity", "within_validity"): {
        "kk": "{valid_from} бастап {valid_through} дейін жарамды",
        "ru": "Действует с {valid_from} по {valid_through}",
        "en": "Valid from {valid_from} through {valid_through}",
    },
    ("validity", "expired"): {
        "kk": "Мерзімі өткен: {valid_through} дейін жарамды болған",
        "ru": "Срок истёк: действовало по {valid_through}",
        "en": "Expired: valid through {valid_through}",
    },
    ("validity", "not_yet_valid"): {
        "kk": "Әлі күшіне енбеген: {valid_from} бастап",
        "ru": "Ещё не действует: с {valid_from}",
        "en": "Not valid yet: from {valid_from}",
    },
    ("issuer", "active"): {
        "kk": "{display_name} тізілімде белсенді",
        "ru": "{display_name} действует в реестре",
        "en": "{display_name} is active in the register",
    },
}


def pick(table: dict[str, str], lang: str) -> str:
    return table.get(lang) or table[FALLBACK]


def negotiate(query_lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` wins; then the first supported language of Accept-Language (by q); else English."""
    if query_lang in LANGUAGES:
        return query_lang
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, index, primary))
    return min(ranked)[2] if ranked else FALLBACK
