"""Writes tests/fixtures/drift/reference.parquet: a small reference set as pandas writes one
(pyarrow, snappy), with a float, an integer, a string column holding a null, a boolean and an
id column, so Vigil's Parquet reader is tested on what teams export.

    python tools/drift-fixtures/parquet_fixture.py   (needs pandas and pyarrow)
"""
import pathlib

import pandas as pd

rows = 1000
frame = pd.DataFrame(
    {
        "order_id": range(rows),
        "amount": [round(10 + (i * 37 % 1000) / 10, 2) for i in range(rows)],
        "items": [1 + i % 7 for i in range(rows)],
        "country": [None if i % 100 == 0 else ["fr", "de", "it"][i % 3] for i in range(rows)],
        "returning": [i % 2 == 0 for i in range(rows)],
        "score": [(i % 10) / 10 for i in range(rows)],
    }
)
out = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "drift" / "reference.parquet"
frame.to_parquet(out, engine="pyarrow", compression="snappy", index=False)
print(f"wrote {out} ({out.stat().st_size} bytes)")
