-- Each machine's last read of each day (machine clock): how far its data reaches, and for a
-- clock that jumped ahead, the last read before the jump.
SELECT machine_serial, read_at::DATE AS read_day, max(read_at) AS last_read_at
FROM dex_reads
WHERE read_at IS NOT NULL
GROUP BY ALL
