-- One server, three databases: each of CVD's stores runs its own migrations (the operational
-- database and Dagster both keep an alembic_version table), so they must not share one.
CREATE DATABASE cvd_ledger;
CREATE DATABASE dagster;
