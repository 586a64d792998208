-- params:
-- Route and date pairs the visit plan covers, with the route's name and driver. Machines known
-- only from DEX have no route yet: their stops are listed under '(no route)' (not a valid route
-- code, so it never names a real one).
SELECT coalesce(p.route_id, '(no route)') AS route_id, r.name AS route_name,
       coalesce(p.driver, r.driver) AS driver, p.plan_date, count(*) AS machines
FROM service_plan p
LEFT JOIN routes r ON r.route_id = p.route_id
GROUP BY ALL
ORDER BY p.plan_date DESC, route_id
