"""Path converters shared by every app's routes (registered in ``core.apps``)."""

# What a 64-bit key column holds.
KEY_MAX = 2**63 - 1


class KeyConverter:
    """A database key in a path: digits, as Django's ``int`` converter reads them, but a number
    no key column can hold is no match (a 404 at the router). SQLite, the embedded default,
    refuses an integer beyond 64 bits where a foreign key is compared with it
    (``OverflowError``, a 500) instead of finding nothing."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        key = int(value)  # ValueError past Python's digit limit: no match either
        if key > KEY_MAX:
            raise ValueError("not a key a database column holds")
        return key

    def to_url(self, value: int) -> str:
        return str(value)
