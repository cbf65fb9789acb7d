"""Statistics and the plain-text tables the benchmarks print."""

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[int], percent: float) -> int:
    """Nearest-rank percentile of values already sorted."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def ratio(project: float, raw: float) -> str:
    """The project's figure as a multiple of the baseline's."""
    return f"x{project / raw:.3g}" if raw else "x?"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, right: set[int]) -> str:
    """Columns padded to their widest cell; the columns numbered in ``right`` align right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])
