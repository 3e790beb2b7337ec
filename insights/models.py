"""Every table of the service, imported in one place so metadata (and Alembic) sees them all."""

from insights.crm.models import *  # noqa: F401,F403
from insights.deployment import *  # noqa: F401,F403
from insights.guided_actions.models import *  # noqa: F401,F403
from insights.insight_store import *  # noqa: F401,F403
