"""Banks, indicators and the per-indicator hashes the near-duplicate index is built from.

The agreed data model (docs/banks.md):

- ``banks``: a named set of indicators with its own match threshold and kind.
- ``indicators``: one signal value with provenance (Art. 44(4): who submitted it, when, how it
  was generated, from which source) and a status (``active`` or ``withdrawn``).
- ``indicator_hashes``: the PDQ hashes of an indicator that the index searches: a ``full`` row,
  robustness variants of an image, or one ``frame`` row per hashed video frame.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from childshield.store.models.base import Base, utcnow

BANK_KINDS = ("known_material", "url", "solicitation")
STATUSES = ("active", "withdrawn")
DEFAULT_PDQ_THRESHOLD = 31
DEFAULT_QUALITY_MIN = 50


class Bank(Base):
    __tablename__ = "banks"
    __table_args__ = (
        CheckConstraint("kind IN ('known_material', 'url', 'solicitation')", name="kind"),
        CheckConstraint("threshold >= 0 AND threshold <= 256", name="threshold"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="known_material")
    threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_PDQ_THRESHOLD)
    quality_min: Mapped[int] = mapped_column(Integer, default=DEFAULT_QUALITY_MIN)
    frame_threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_PDQ_THRESHOLD)
    query_match: Mapped[float] = mapped_column(Float, default=0.80)
    index_match: Mapped[float] = mapped_column(Float, default=0.0)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", passive_deletes=True
    )


class Indicator(Base):
    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("bank_id", "signal", "value", name="uq_indicators_bank_signal_value"),
        CheckConstraint("status IN ('active', 'withdrawn')", name="status"),
        Index("ix_indicators_signal_value", "signal", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    signal: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(2048))
    media: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")
    source: Mapped[str | None] = mapped_column(Text, default=None)
    submitted_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    how_generated: Mapped[str | None] = mapped_column(String(200), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, default=None)

    bank: Mapped[Bank] = relationship(back_populates="indicators")
    hashes: Mapped[list[IndicatorHash]] = relationship(
        back_populates="indicator",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="IndicatorHash.id",
    )


class IndicatorHash(Base):
    __tablename__ = "indicator_hashes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicators.id", ondelete="CASCADE"), index=True
    )
    signal: Mapped[str] = mapped_column(String(16), default="pdq")
    value: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str] = mapped_column(String(64), default="full")
    frame: Mapped[int | None] = mapped_column(Integer, default=None)
    time: Mapped[float | None] = mapped_column(Float, default=None)
    quality: Mapped[int | None] = mapped_column(Integer, default=None)

    indicator: Mapped[Indicator] = relationship(back_populates="hashes")


__all__ = [
    "BANK_KINDS",
    "DEFAULT_PDQ_THRESHOLD",
    "DEFAULT_QUALITY_MIN",
    "STATUSES",
    "Bank",
    "Indicator",
    "IndicatorHash",
]
