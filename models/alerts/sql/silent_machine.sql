-- Machines silent for longer than $factor × their usual (median) interval between reads, and at
-- least $min_hours; measured to the fleet's "now" (fleet_clock), the clock the reads carry.
WITH reads AS (
    SELECT
        machine_serial,
        read_at,
        epoch(read_at - lag(read_at) OVER (PARTITION BY machine_serial ORDER BY read_at))
            / 3600.0 AS gap_hours
    FROM dex_reads
    WHERE read_at IS NOT NULL
),
per_machine AS (
    SELECT
        machine_serial,
        max(read_at) AS last_read_at,
        median(gap_hours) AS usual_interval_hours,
        count(*) AS reads
    FROM reads
    GROUP BY machine_serial
)
SELECT
    p.machine_serial,
    d.route_id,
    p.last_read_at,
    p.usual_interval_hours,
    epoch(c.as_of - p.last_read_at) / 3600.0 AS silent_hours
FROM per_machine AS p
CROSS JOIN fleet_clock AS c
LEFT JOIN devices AS d ON d.dex_serial = p.machine_serial
WHERE p.reads >= 2
  AND epoch(c.as_of - p.last_read_at) / 3600.0
      > greatest($factor * p.usual_interval_hours, $min_hours)
ORDER BY p.machine_serial
