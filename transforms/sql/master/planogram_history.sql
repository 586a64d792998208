-- planogram_history: every planogram version of every cabinet, with the period it was in force.
-- valid_from: when the version came into the machine, UTC: its effective date (the editor's
-- changeover day, midnight) when that is later than its creation, else its creation time; NULL
-- for a cabinet's first version (taken to be in force from the start of the data). valid_to: the
-- earliest valid_from of any later version (NULL: in force now). A version saved for a later day
-- and overtaken by one in force sooner gets valid_to <= valid_from: it was never in the machine.
-- DEX read times are machine clocks, compared with these as they are.
CREATE OR REPLACE VIEW planogram_history AS
WITH history AS (
    SELECT
        * EXCLUDE (version_created_at),
        timezone('UTC', TRY_CAST(version_created_at AS TIMESTAMPTZ)) AS version_created_at
    FROM read_parquet({files:master/planogram_history})
),
versions AS (
    SELECT DISTINCT
        cabinet_id,
        planogram_version,
        greatest(version_created_at, CAST(TRY_CAST(effective_date AS DATE) AS TIMESTAMP)) AS starts
    FROM history
),
periods AS (
    SELECT
        cabinet_id,
        planogram_version,
        CASE
            WHEN planogram_version = min(planogram_version) OVER (PARTITION BY cabinet_id)
                THEN NULL
            ELSE starts
        END AS valid_from,
        min(starts) OVER (
            PARTITION BY cabinet_id ORDER BY planogram_version
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
        ) AS valid_to
    FROM versions
)
SELECT h.*, p.valid_from, p.valid_to
FROM history AS h
JOIN periods AS p USING (cabinet_id, planogram_version);
