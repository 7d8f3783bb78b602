"""Import every domain's tables so that ``SQLModel.metadata`` is complete (Alembic and tests use this)."""

from bank_tax.banks import models as banks  # noqa: F401
from bank_tax.batch import models as batch  # noqa: F401
from bank_tax.consent import models as consent  # noqa: F401
from bank_tax.db import metadata  # noqa: E402
from bank_tax.enterprises import models as enterprises  # noqa: F401
from bank_tax.features import models as features  # noqa: F401
from bank_tax.lending import models as lending  # noqa: F401
from bank_tax.matching import models as matching  # noqa: F401
from bank_tax.modelling import models as modelling  # noqa: F401
from bank_tax.products import models as products  # noqa: F401
from bank_tax.reports import models as reports  # noqa: F401
from bank_tax.scheduler import models as scheduler  # noqa: F401
from bank_tax.security import models as security  # noqa: F401
from bank_tax.sources import models as sources  # noqa: F401
from bank_tax.taxcredit import models as taxcredit  # noqa: F401

__all__ = ["metadata"]
