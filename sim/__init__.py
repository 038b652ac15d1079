"""wom: simulate word-of-mouth influence to split a marketing budget across influencer tiers."""

__version__ = "0.1.0"

from .compare import compare  # noqa: E402
from .errors import InputError  # noqa: E402
from .experiment import sweep  # noqa: E402
from .model import InfluenceModel  # noqa: E402
from .runner import Results, run  # noqa: E402
from .scenario import Scenario, load_scenario  # noqa: E402

__all__ = [
    "InfluenceModel",
    "InputError",
    "Results",
    "Scenario",
    "__version__",
    "compare",
    "load_scenario",
    "run",
    "sweep",
]
