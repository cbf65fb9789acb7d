"""Logging filters of the platform.

``ClientErrorsOneLine``: an ordinary refusal (403 Forbidden, 404, 400 …) is the client's
business, not a fault of ours. Django logs ``PermissionDenied`` with the whole traceback, which
buries real errors and fills the logs; this keeps such records to their one line
("Forbidden (Permission denied): /path"). Server errors (5xx) keep their traceback.
"""

import logging


class ClientErrorsOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
