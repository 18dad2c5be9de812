"""Content invalidations: the shared log every web process reads to drop stale cache entries.

A publish webhook reaches one web process; the sweep job runs in the sync process. Both
append here, and every web process applies new rows to its own cache within a second, so
in-process caches stay right with any number of processes (Redis or not).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, utcnow


class ContentInvalidation(Base):
    __tablename__ = "content_invalidations"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(String(255))
    document_type: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # webhook | sweep | manual
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
