-- params:
-- Machines to pick from: DEX serial, asset number, location name, route.
SELECT h.machine_serial, h.asset_number, h.route_id, l.name AS location, h.status
FROM machine_health h
LEFT JOIN locations l USING (location_id)
ORDER BY h.asset_number NULLS LAST, h.machine_serial
