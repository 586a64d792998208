-- params: machine_serial=''
-- One machine: device master data, location, route and driver, health.
SELECT h.machine_serial, h.asset_number, d.model, d.device_type, d.telemetry, d.service_days,
       h.location_id, l.name AS location, l.address, h.route_id, r.name AS route, r.driver,
       h.status, h.first_read_at, h.last_read_at, h.last_read_age_hours, h.reads_expected,
       h.reads_received, h.crc_failures, h.clock_problems, h.power_outages, h.door_openings,
       h.cash_share, h.expected_cash_in_box
FROM machine_health h
LEFT JOIN devices d ON d.dex_serial = h.machine_serial
LEFT JOIN locations l ON l.location_id = h.location_id
LEFT JOIN routes r ON r.route_id = h.route_id
WHERE h.machine_serial = $machine_serial
