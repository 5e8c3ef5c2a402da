"""pytest setup shared by the unit tests and the nbval notebook runs.

On a machine where Matplotlib has never run, its first import prints "Matplotlib is
building the font cache" to stderr. Inside a notebook kernel that line would become a
cell output and fail nbval's strict comparison, so build the cache here, once, before
any kernel starts.
"""

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402,F401  (importing builds the cache)
