"""Reports as files for handing over (CSV for spreadsheets, JSON for systems): `/export` and
`python main.py tips export FILE`. The rows come from TipService.export and never name a reporter."""

from __future__ import annotations

import csv
import io
import json


def to_csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["public_no"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read Indonesian text


def to_json(rows: list[dict[str, object]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=2).encode()
