"""ORM models. Each domain has its own module; all share :class:`Base`."""

from childshield.store.models import banks as banks  # registers the tables
from childshield.store.models.base import Base

__all__ = ["Base"]
