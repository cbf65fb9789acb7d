"""What the property tests of the form and query parsers send: hostile values for any field
(Hypothesis strategies), and the checks that no input gives a 500 and that a refused one wrote
nothing.

The values come from the inputs that once gave a 500 here, and from their classes: instants
at the edges of what a datetime can hold (``0001-01-01T00:00:00+01:00``, ``9999-12-31T23:00``),
days and weeks whose neighbours overflow, digits that are digits only to Unicode (``'²'``,
``'١'``), numbers past what a database column holds, NUL (refused at the edge), and any text.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection
from django.test import Client
from hypothesis import strategies as st

# Instants and days at the edges of the representable range, and just inside them.
EDGE_INSTANTS = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-01:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:00:00+00:00",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59.999999+23:59",
    "1970-01-01T00:00:00Z",
    "2038-01-19T03:14:08+00:00",
    "2030-03-11T09:00:00",  # naive
    "2030-03-11T09:00:00+24:00",
    "2030-02-30T09:00:00+00:00",
]
EDGE_DAYS = ["0001-01-01", "0001-01-07", "1900-01-01", "9999-12-17", "9999-12-31", "2030-02-29"]
EDGE_TIMES = ["00:00", "23:59", "24:00", "23:59:60", "25:00", "12:00:00.9999999", "-1:00"]
EDGE_NUMBERS = [
    "0",
    "-0",
    "-1",
    "1e3",
    "1e309",
    "NaN",
    "inf",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999999999",
    "-9223372036854775809",
    "1_000",
    "0x10",
    " 7 ",
]
UNICODE_DIGITS = ["²", "١٢", "１２", "߁", "𝟗", "Ⅻ", "⁹⁹"]
ODD_TEXT = [
    "",
    " ",
    "\u200b",
    "\ufeff",
    "\r\n",
    "\ud7ff",
    "\U0010ffff",
    "<script>",
    "%00",
    "'; --",
    "\\",
    "a" * 10_000,
    "x" * 300_000,
]
EDGES = EDGE_INSTANTS + EDGE_DAYS + EDGE_TIMES + EDGE_NUMBERS + UNICODE_DIGITS + ODD_TEXT


def field_values(choices: list[str] | None = None) -> st.SearchStrategy[str]:
    """One field's value: an edge case, any text, a number, or (when given) a valid choice."""
    options = [
        st.sampled_from(EDGES),
        st.text(max_size=40),
        st.integers().map(str),
        st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
        st.dates().map(lambda day: day.isoformat()),
    ]
    if choices:
        options.append(st.sampled_from(choices))
    return st.one_of(*options)


def form_data(
    fields: Mapping[str, list[str] | None], *, multiple: tuple[str, ...] = ()
) -> st.SearchStrategy[dict]:
    """A POST body for ``fields`` (name: its valid choices or None): each field present with
    any value (several for those in ``multiple``) or absent."""
    strategies: dict[str, st.SearchStrategy] = {}
    for name, choices in fields.items():
        value = field_values(choices)
        strategies[name] = st.lists(value, max_size=4) if name in multiple else value
    return st.fixed_dictionaries({}, optional=strategies)


# --- The checks ------------------------------------------------------------------------------

# Rows nobody's input changes, or that change on every request whatever it says.
UNWATCHED_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
# The access log: a refused form that shows a patient's record again is a read of it, logged.
UNWATCHED_TABLES.add("audit_accessentry")


def database_state() -> dict[str, str]:
    """Every table of the project, as a digest of its rows: equal states wrote nothing."""
    with connection.cursor() as cursor:
        tables = [
            name
            for name in connection.introspection.table_names(cursor)
            if name not in UNWATCHED_TABLES
        ]
        # Table names come from the database's own catalogue, quoted.
        digest = "SELECT %s, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "
        query = " UNION ALL ".join(
            digest + connection.ops.quote_name(name) + " t" for name in tables
        )
        cursor.execute(query, tables)
        return dict(cursor.fetchall())


def answers_without_error(
    client: Client,
    method: str,
    url: str,
    data: dict | None = None,
    *,
    headers: dict | None = None,
    refused_writes_nothing: bool | None = None,
    state: Callable[[], dict] = database_state,
) -> Any:
    """Send ``data``; fail on a 5xx, and (``refused_writes_nothing``, by default for anything
    but a GET) on a refusal (4xx) that changed a row."""
    if refused_writes_nothing is None:
        refused_writes_nothing = method != "get"
    before = state() if refused_writes_nothing else None
    if method == "get":
        response = client.get(url, data or {}, headers=headers)
    else:
        response = client.post(url, data or {}, headers=headers)
    assert response.status_code < 500, f"{method.upper()} {url} {data!r}: {response.status_code}"
    if before is not None and response.status_code >= 400:
        after = state()
        changed = sorted(name for name in after if after[name] != before.get(name))
        assert changed == [], f"{url} refused {data!r} ({response.status_code}) but wrote {changed}"
    return response
