"""deal-insights: deal insights for a CRM sidebar, filtered by what each viewer may see."""

from insights.core.offline import configure_offline_defaults

configure_offline_defaults()

__version__ = "0.1.0"
