"""Domain events of the exports.

``export_requested`` (``export_id``): an export is waiting to be built (asked for, or started
again by the sweep after its worker died); sent after the transaction commits. The app's own
receiver queues the build at once.
"""

from django.dispatch import Signal

export_requested = Signal()
