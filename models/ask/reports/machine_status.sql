-- Machines that are stale, failing or unassigned, with what the data says about them.
SELECT asset_number, machine_serial, route_id, status,
       round(last_read_age_hours, 1) AS last_read_age_hours, crc_failures, clock_problems,
       reads_received, reads_expected
FROM machine_health
WHERE status <> 'ok' AND ($route IS NULL OR route_id = $route)
ORDER BY status, last_read_age_hours DESC
