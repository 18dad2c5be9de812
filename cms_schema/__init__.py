"""The content model: document types declared once (``types.py``), the Sanity Studio schema
generated from them, typed models of the shop's projections, validation and the demo
dataset."""

from pathlib import Path

#: The demo catalog, as a Sanity dataset export folder (``data.ndjson`` and its assets).
DEMO_CATALOG = Path(__file__).resolve().parent / "demo"
