-- planogram_history: every planogram version of every cabinet, with the period it was in force.
-- valid_from: when the version was created, UTC (NULL for a cabinet's first version: it is taken
-- to be in force from the start of the data); valid_to: when the next version was created (NULL:
-- in force now). DEX read times are machine clocks, compared with these as they are.
CREATE OR REPLACE VIEW planogram_history AS
WITH history AS (
    SELECT
        * EXCLUDE (version_created_at),
        timezone('UTC', TRY_CAST(version_created_at AS TIMESTAMPTZ)) AS version_created_at
    FROM read_parquet({files:master/planogram_history})
),
versions AS (
    SELECT DISTINCT cabinet_id, planogram_version, version_created_at FROM history
),
periods AS (
    SELECT
        cabinet_id,
        planogram_version,
        CASE
            WHEN planogram_version = min(planogram_version) OVER (PARTITION BY cabinet_id)
                THEN NULL
            ELSE version_created_at
        END AS valid_from,
        lead(version_created_at) OVER (
            PARTITION BY cabinet_id ORDER BY planogram_version
        ) AS valid_to
    FROM versions
)
SELECT h.*, p.valid_from, p.valid_to
FROM history AS h
JOIN periods AS p USING (cabinet_id, planogram_version);
