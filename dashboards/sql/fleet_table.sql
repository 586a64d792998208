-- params: days=7
-- The Machines page: every machine with place, route, health, revenue of the last $days days
-- up to the data's last day (sql/data_day.sql's rule, simplified: the latest sales day), sold-out
-- slots, CRC failures and telemetry.
WITH last_day AS (SELECT max(sales_date) AS day FROM revenue_per_machine_day),
revenue AS (
    SELECT machine_serial, sum(revenue) AS revenue_7d, any_value(currency) AS currency
    FROM revenue_per_machine_day, last_day
    WHERE sales_date > last_day.day - CAST($days AS INTEGER)
    GROUP BY 1
),
slots AS (
    SELECT machine_serial, count(*) FILTER (WHERE sold_out) AS sold_out_slots
    FROM slot_status GROUP BY 1
)
SELECT h.asset_number, h.machine_serial, d.model, l.name AS location, h.route_id, r.driver,
       h.status, h.last_read_age_hours, coalesce(v.revenue_7d, 0) AS revenue_7d, v.currency,
       coalesce(s.sold_out_slots, 0) AS sold_out_slots, h.crc_failures, h.telemetry
FROM machine_health h
LEFT JOIN devices d ON d.dex_serial = h.machine_serial
LEFT JOIN locations l ON l.location_id = h.location_id
LEFT JOIN routes r ON r.route_id = h.route_id
LEFT JOIN revenue v ON v.machine_serial = h.machine_serial
LEFT JOIN slots s ON s.machine_serial = h.machine_serial
ORDER BY h.asset_number NULLS LAST, h.machine_serial
