-- params:
-- Every machine with its health, place, route and slot counts (overview table and map).
WITH slots AS (
    SELECT machine_serial,
           count(*) AS slots,
           count(*) FILTER (WHERE sold_out) AS sold_out_slots,
           count(*) FILTER (WHERE NOT sold_out AND days_until_sold_out <= 2) AS selling_out_2d
    FROM slot_status GROUP BY 1
)
SELECT h.machine_serial, h.asset_number, h.route_id, h.location_id, l.name AS location,
       l.latitude, l.longitude, h.telemetry, h.status, h.last_read_at, h.last_read_age_hours,
       h.reads_expected, h.reads_received, h.crc_failures, h.clock_problems, h.power_outages,
       coalesce(s.slots, 0) AS slots, coalesce(s.sold_out_slots, 0) AS sold_out_slots,
       coalesce(s.selling_out_2d, 0) AS selling_out_2d
FROM machine_health h
LEFT JOIN locations l USING (location_id)
LEFT JOIN slots s USING (machine_serial)
ORDER BY h.asset_number NULLS LAST, h.machine_serial
