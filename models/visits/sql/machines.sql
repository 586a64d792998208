-- machines: every placed machine with its route, driver, location coordinates, service days,
-- last read, last visit and visit hour (last_visits.sql).
WITH reads AS (
    SELECT machine_serial, min(read_at) AS first_read_at, max(read_at) AS last_read_at
    FROM dex_reads
    WHERE read_at IS NOT NULL
    GROUP BY ALL
)
SELECT
    d.dex_serial AS machine_serial,
    d.asset_number,
    d.route_id,
    r.driver,
    d.location_id,
    l.latitude,
    l.longitude,
    d.service_days,
    x.first_read_at,
    x.last_read_at,
    v.last_visit_at,
    v.visit_hour
FROM devices AS d
LEFT JOIN routes AS r USING (route_id)
LEFT JOIN locations AS l USING (location_id)
LEFT JOIN reads AS x ON x.machine_serial = d.dex_serial
LEFT JOIN last_visits AS v ON v.machine_serial = d.dex_serial
WHERE d.dex_serial IS NOT NULL AND d.location_id IS NOT NULL
ORDER BY d.dex_serial;
