-- Per placed machine: the fleet's "now" (fleet_clock), its service days and the first date the
-- visit plan (ml/service_plan) sends a driver to it after today (NULL: not in the plan), so a
-- recommended change rides on that visit instead of a separate trip.
WITH clock AS (SELECT CAST(max(as_of) AS DATE) AS today FROM fleet_clock),
planned AS (
    SELECT p.machine_serial, min(p.plan_date) AS plan_date
    FROM service_plan AS p, clock
    WHERE p.plan_date > clock.today
    GROUP BY ALL
)
SELECT DISTINCT v.machine_serial, clock.today, d.service_days, planned.plan_date
FROM planogram_vs_dex AS v
JOIN devices AS d ON d.asset_number = v.asset_number
CROSS JOIN clock
LEFT JOIN planned ON planned.machine_serial = v.machine_serial
WHERE v.slot IS NOT NULL
ORDER BY v.machine_serial
