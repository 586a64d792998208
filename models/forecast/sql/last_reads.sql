-- Each machine's last read (machine clock): the data reaches this far.
SELECT machine_serial, max(read_at) AS last_read_at
FROM dex_reads
WHERE read_at IS NOT NULL
GROUP BY ALL
