"""Django loads the app's models from here; each subdomain package defines its own.

Import a model from its package (``consult.queue.models``), never from this module.
"""

from consult.appointments import models as _appointments  # noqa: F401
from consult.catalogue import models as _catalogue  # noqa: F401
from consult.chat import models as _chat  # noqa: F401
from consult.consultations import models as _consultations  # noqa: F401
from consult.queue import models as _queue  # noqa: F401
from consult.recording import models as _recording  # noqa: F401
from consult.staff import models as _staff  # noqa: F401
from consult.statistics import models as _statistics  # noqa: F401
