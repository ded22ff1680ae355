"""The gateway's own tables: only what the edge needs to keep its promises."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    # org/role/sub: two claims of up to ID_LENGTH characters each, and the role.
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Wider than the MAX_IDEMPOTENCY_KEY_LENGTH the door allows: keys stored before it stay.
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(2048))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response_headers: Mapped[dict | None] = mapped_column(JSON)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffAction(Base):
    """The admin gateway's audit log: who did what to which resource, why and when."""

    __tablename__ = "staff_actions"
    __table_args__ = (
        Index("ix_staff_actions_at", "at", "id"),
        Index("ix_staff_actions_user", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(20))
    org: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(2048))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[int]
    correlation_id: Mapped[str | None] = mapped_column(String(128))


metadata = Base.metadata
