"""Pieces shared by the exchange formats: strict models, field types, error collection."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from childshield.errors import InvalidRequestError

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200)]
SIGNAL_HEX_DIGITS = {"pdq": 64, "md5": 32, "sha256": 64, "vpdq": 64}
SIGNALS = tuple(SIGNAL_HEX_DIGITS)
_HEX = re.compile(r"[0-9a-f]*")


class StrictModel(BaseModel):
    """Unknown fields are refused: a typo is an error, not a silently dropped field."""

    model_config = ConfigDict(extra="forbid")


class DocumentValidationError(InvalidRequestError):
    """A document does not match its schema; ``errors`` lists every problem found
    (``{"field", "problem"[, "article"]}``), and problem+json carries them as ``errors``."""

    slug, title = "invalid-document", "Document validation failed"

    def __init__(self, message: str, errors: list[dict[str, str]], **extra: object) -> None:
        items: list[dict[str, object]] = [dict(e) for e in errors]
        super().__init__(message, errors=items, **extra)


def signal_value_problem(signal: str, value: str) -> str | None:
    """Why ``value`` is not a valid ``signal`` hash (lower-case hex of the right length)."""
    digits = SIGNAL_HEX_DIGITS.get(signal)
    if digits is None:
        return f"unknown signal {signal!r} (expected one of {', '.join(SIGNALS)})"
    if len(value) != digits or not _HEX.fullmatch(value):
        return f"{signal} value must be {digits} lower-case hex digits"
    return None


def pydantic_problems(
    exc: ValidationError, article_of: Callable[[str], str | None]
) -> list[dict[str, str]]:
    """One ``{"field", "problem"[, "article"]}`` per pydantic error."""
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = ".".join(loc) or "(document)"
        if error["type"] == "missing":
            problem = "missing"
        elif error["type"] == "extra_forbidden":
            problem = "unexpected field"
        else:
            problem = error["msg"]
        entry = {"field": field, "problem": problem}
        article = article_of(loc[0]) if loc else None
        if article:
            entry["article"] = article
        problems.append(entry)
    return problems


def describe(problems: Iterable[dict[str, str]]) -> str:
    parts = []
    for p in problems:
        where = f"{p['field']} ({p['article']})" if "article" in p else p["field"]
        parts.append(f"{where}: {p['problem']}")
    return "; ".join(parts)


def model_or_problems(model: type[BaseModel], data: Any) -> tuple[Any, list[dict[str, str]]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, pydantic_problems(exc, lambda _field: None)


__all__ = [
    "SIGNALS",
    "SIGNAL_HEX_DIGITS",
    "CountryCode",
    "DocumentValidationError",
    "Identifier",
    "StrictModel",
    "Text",
    "describe",
    "model_or_problems",
    "pydantic_problems",
    "signal_value_problem",
]
