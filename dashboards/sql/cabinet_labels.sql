-- params:
-- Every cabinet with its machine and place, to label service orders (which hold cabinet ids).
SELECT c.cabinet_id, c.asset_number, c.dex_serial AS machine_serial, c.cabinet_index,
       c.cabinet_type, l.name AS location, l.address, d.route_id
FROM cabinets c
LEFT JOIN devices d ON d.asset_number = c.asset_number
LEFT JOIN locations l ON l.location_id = d.location_id
ORDER BY c.asset_number, c.cabinet_index
