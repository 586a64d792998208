-- params: limit=200
-- Reads whose machine clock is suspect (in the future, implausible, missing), newest arrival
-- first.
SELECT r.machine_serial, d.asset_number, r.read_at, r.received_at, r.clock_warning,
       r.read_time_source, r.read_id
FROM dex_reads r
LEFT JOIN devices d ON d.dex_serial = r.machine_serial
WHERE r.clock_warning IS NOT NULL
ORDER BY r.received_at DESC, r.read_at DESC NULLS LAST
LIMIT $limit
