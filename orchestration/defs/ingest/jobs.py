"""The job that runs the whole graph for a day or a range of arrival days."""

import dagster as dg

ingest_job = dg.define_asset_job(
    "ingest_and_build",
    selection=dg.AssetSelection.all(),
    description="Receive the inbox, rebuild the arrival days in the run, sync master data, "
    "and swap in a new warehouse catalog.",
)
