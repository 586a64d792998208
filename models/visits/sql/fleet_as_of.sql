-- fleet_as_of: "now" for visit planning, the fleet's latest read, ignoring machines whose latest
-- read lies more than 8 days after the median machine's (a clock that jumped forward would
-- otherwise move "now" for the whole fleet; 8 days is machine_health's stale limit).
WITH per_machine AS (
    SELECT machine_serial, max(read_at) AS last_read_at
    FROM dex_reads
    WHERE read_at IS NOT NULL
    GROUP BY ALL
),
middle AS (SELECT quantile_disc(last_read_at, 0.5) AS median_last_read FROM per_machine)
SELECT max(p.last_read_at) AS as_of
FROM per_machine AS p, middle AS m
WHERE p.last_read_at <= m.median_last_read + INTERVAL 8 DAY;
