-- Files quarantined on $today (UTC arrival day) against the median of the $trailing_days days
-- before (days without any count as 0); a row only when today passes $factor × that median and
-- at least $min_files.
WITH days AS (
    SELECT CAST(timezone('UTC', quarantined_at) AS DATE) AS day, count(DISTINCT sha256) AS files
    FROM quarantine
    GROUP BY 1
),
trailing_days AS (
    SELECT coalesce(median(coalesce(d.files, 0)), 0) AS median_files
    FROM range(1, $trailing_days + 1) AS r(i)
    LEFT JOIN days AS d ON d.day = CAST($today AS DATE) - CAST(r.i AS INTEGER)
),
today AS (
    SELECT coalesce(max(files), 0) AS files FROM days WHERE day = CAST($today AS DATE)
)
SELECT t.files, tr.median_files
FROM today AS t, trailing_days AS tr
WHERE t.files >= $min_files AND t.files > $factor * tr.median_files
