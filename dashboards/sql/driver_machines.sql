-- params: driver=''
-- The machines on the routes whose driver is $driver (what a driver may see).
SELECT d.dex_serial AS machine_serial, d.asset_number, d.route_id
FROM devices d
JOIN routes r USING (route_id)
WHERE r.driver = $driver
ORDER BY d.asset_number
