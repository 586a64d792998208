-- Machines with at least $min_slots slots predicted to sell out before their next visit: the
-- first planned stop (service_plan) on or after today, else the next service day of the
-- machine's mask (Monday-first), else $no_visit_days from now. Slots already sold out are the
-- core_sold_out rule's (or plainly visible); those not selling lately have no prediction.
WITH clock AS (
    SELECT as_of, CAST(as_of AS DATE) AS today FROM fleet_clock
),
planned AS (
    SELECT p.machine_serial, min(p.plan_date) AS visit_date
    FROM service_plan AS p, clock AS c
    WHERE p.plan_date >= c.today
    GROUP BY p.machine_serial
),
service_day AS (
    SELECT d.dex_serial AS machine_serial, min(c.today + CAST(r.i AS INTEGER)) AS visit_date
    FROM devices AS d, clock AS c, range(1, 8) AS r(i)
    WHERE d.service_days IS NOT NULL
      AND substr(d.service_days, isodow(c.today + CAST(r.i AS INTEGER)), 1) = '1'
    GROUP BY d.dex_serial
),
next_visit AS (
    SELECT
        d.dex_serial AS machine_serial,
        d.route_id,
        coalesce(p.visit_date, s.visit_date) AS visit_date,
        coalesce(
            epoch(CAST(coalesce(p.visit_date, s.visit_date) AS TIMESTAMP) - c.as_of) / 86400.0,
            $no_visit_days
        ) AS days_to_visit
    FROM devices AS d
    CROSS JOIN clock AS c
    LEFT JOIN planned AS p ON p.machine_serial = d.dex_serial
    LEFT JOIN service_day AS s ON s.machine_serial = d.dex_serial
)
SELECT
    n.machine_serial,
    n.route_id,
    n.visit_date,
    n.days_to_visit,
    count(*) AS slots,
    min(st.days_until_sold_out) AS soonest_days,
    string_agg(st.selection, ', ' ORDER BY st.days_until_sold_out, st.selection) AS selections
FROM slot_status AS st
JOIN next_visit AS n ON n.machine_serial = st.machine_serial
WHERE NOT st.sold_out
  AND st.days_until_sold_out IS NOT NULL
  AND st.days_until_sold_out < n.days_to_visit
GROUP BY n.machine_serial, n.route_id, n.visit_date, n.days_to_visit
HAVING count(*) >= $min_slots
ORDER BY n.machine_serial
