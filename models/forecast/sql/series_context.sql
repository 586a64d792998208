-- Per machine: its location and the location's traffic (pooled means, the traffic feature).
SELECT d.dex_serial AS machine_serial, d.location_id, l.traffic
FROM devices d LEFT JOIN locations l USING (location_id)
WHERE d.dex_serial IS NOT NULL
