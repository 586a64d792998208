-- repeated_shortfalls: machines with at least $repeat_shortfalls collections flagged short
-- (the box, its lock or the machine's counters may be the problem, not one driver).
WITH f AS ({flagged_collections})
SELECT
    machine_serial,
    any_value(asset_number) AS asset_number,
    any_value(route_code) AS route_code,
    count(*) FILTER (WHERE flagged AND status = 'short') AS flagged_short,
    count(DISTINCT driver) FILTER (WHERE flagged AND status = 'short') AS drivers,
    sum(variance) FILTER (WHERE flagged AND status = 'short') AS shortfall,
    max(collected_at) FILTER (WHERE flagged AND status = 'short') AS last_short_at
FROM f
GROUP BY machine_serial
HAVING count(*) FILTER (WHERE flagged AND status = 'short') >= $repeat_shortfalls
ORDER BY shortfall
