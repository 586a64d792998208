-- Sold-out episodes per machine and selection; an ongoing one lasts to the machine's last read.
WITH last_read AS (
    SELECT machine_serial, max(read_at) AS last_read_at FROM dex_reads GROUP BY ALL
)
SELECT s.machine_serial, s.selection, s.start_at,
       coalesce(s.end_at, greatest(l.last_read_at, s.start_at)) AS end_at
FROM fct_stockouts s LEFT JOIN last_read l USING (machine_serial)
WHERE s.start_at IS NOT NULL AND s.selection IS NOT NULL
