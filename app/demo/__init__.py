"""Demo data: the sourced CSV files in data/ (`figures` reads them) and the loader behind `minedash seed-demo`."""

from app.demo.figures import DATA_DIR, DemoDataError, split_total
from app.demo.loader import seed_demo

__all__ = ["DATA_DIR", "DemoDataError", "seed_demo", "split_total"]
