-- service_plan_route_picks: the pre-kit list per route and product for the plan date: the sum of
-- service_plan_picks over the route's planned machines (lines with nothing to pick left out).
CREATE OR REPLACE VIEW service_plan_route_picks AS
SELECT
    plan_date,
    route_id,
    product_id,
    product_name,
    sum(quantity) AS quantity,
    count(DISTINCT machine_serial) AS machines,
    count(*) AS slots
FROM service_plan_picks
WHERE quantity > 0
GROUP BY ALL
ORDER BY plan_date, route_id, product_id;
