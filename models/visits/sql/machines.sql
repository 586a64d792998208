-- machines: every placed machine, and every machine known only from DEX, with its route,
-- driver, location coordinates, service days (observed from visits for a machine known only
-- from DEX), last read, last visit and visit hour (last_visits.sql).
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
    coalesce(d.service_days, o.service_days) AS service_days,  -- observed: from its visits
    x.first_read_at,
    x.last_read_at,
    v.last_visit_at,
    v.visit_hour
FROM devices AS d
LEFT JOIN routes AS r USING (route_id)
LEFT JOIN locations AS l USING (location_id)
LEFT JOIN (SELECT DISTINCT machine_serial, service_days FROM observed_planogram) AS o
    ON o.machine_serial = d.dex_serial
LEFT JOIN reads AS x ON x.machine_serial = d.dex_serial
LEFT JOIN last_visits AS v ON v.machine_serial = d.dex_serial
WHERE d.dex_serial IS NOT NULL
    -- placed, or known only from DEX (no location yet, its planogram observed): visits still due
    AND (d.location_id IS NOT NULL OR o.machine_serial IS NOT NULL)
ORDER BY d.dex_serial;
