-- fleet_clock: the fleet's "now", one row: the latest read time the fleet agrees on. Demo and
-- historical data carry no wall clock of their own, so "now" comes from the reads; a single
-- device clock set ahead (a jump, a wrong year) must not make every other machine look stale,
-- so machines whose last read lies more than 8 days (the longest regular visit cycle) past the
-- median machine's last read are left out.
WITH last AS (
    SELECT machine_serial, max(read_at) AS last_read_at
    FROM dex_reads
    WHERE read_at IS NOT NULL
    GROUP BY ALL
),
mid AS (SELECT quantile_disc(last_read_at, 0.5) AS median_last FROM last)
SELECT max(last.last_read_at) AS as_of
FROM last, mid
WHERE last.last_read_at <= mid.median_last + INTERVAL 8 DAY
