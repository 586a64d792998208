-- params:
-- Route and date pairs the visit plan covers, with the route's name and driver.
SELECT p.route_id, r.name AS route_name, coalesce(p.driver, r.driver) AS driver, p.plan_date,
       count(*) AS machines
FROM service_plan p
LEFT JOIN routes r USING (route_id)
GROUP BY ALL
ORDER BY p.plan_date DESC, p.route_id
