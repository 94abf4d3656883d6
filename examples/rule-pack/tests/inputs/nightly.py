"""Nightly ingest, still on the tidepool 2.x API."""
import tidepool
from tidepool.legacy import Runner as LegacyRunner


def build():
    flow = tidepool.Flow(
        "nightly-ingest",
        retries=3,  # the warehouse drops connections at 02:00
        schedule="0 2 * * *",
    )
    return LegacyRunner(flow, poll_seconds=30)
