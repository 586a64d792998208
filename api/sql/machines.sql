-- GET /v1/machines: every device with its place and the health of its DEX reads.
SELECT d.asset_number, d.dex_serial AS machine_serial, d.model, d.device_type, d.location_id,
       d.route_id, d.telemetry, h.first_read_at, h.last_read_at, h.last_read_age_hours,
       h.status
FROM devices d
LEFT JOIN machine_health h ON h.machine_serial = d.dex_serial
WHERE ($route IS NULL OR d.route_id = $route)
  AND ($machine IS NULL OR d.dex_serial = $machine OR d.asset_number = $machine)
ORDER BY d.dex_serial
