"""Reports as files for handing over (CSV for spreadsheets, JSON for systems): `/export` and
`python main.py tips export FILE`. The rows come from TipService.export and never name a reporter.

Reporters write most cells, so in the CSV a text cell that a spreadsheet would read as a formula (it starts
with =, +, -, @, a tab or a carriage return) gets a leading apostrophe, which spreadsheets take as "this is
text" (security review, finding 11). The JSON keeps every value exactly as stored.
"""

from __future__ import annotations

import csv
import io
import json

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """A cell as written to the CSV: text that could start a formula is prefixed with an apostrophe."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def to_csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["public_no"])
    writer.writeheader()
    writer.writerows({key: neutralised(value) for key, value in row.items()} for row in rows)
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read Indonesian text


def to_json(rows: list[dict[str, object]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=2).encode()
