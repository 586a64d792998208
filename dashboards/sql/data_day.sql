-- params:
-- "Today" for the dashboards: the data's last full day. Bounded by the latest sales day of 90 %
-- of the machines (a machine whose clock runs ahead cannot move it), it is the latest day on
-- which the fleet sold at least half its median daily units (a trailing day the last reads
-- cover only for minutes is skipped). NULL without sales. Read from revenue_per_machine_day
-- (machines × days, stored by the derived_marts asset), not from every selection's day.
WITH last_days AS (
    SELECT machine_serial, max(sales_date) AS last_day FROM revenue_per_machine_day GROUP BY 1
),
bound AS (SELECT quantile_disc(last_day, 0.9) AS bound, max(last_day) AS latest_day FROM last_days),
daily AS (
    SELECT sales_date, sum(units_sold) AS units
    FROM revenue_per_machine_day, bound WHERE sales_date <= bound.bound GROUP BY 1
),
typical AS (SELECT median(units) AS units FROM daily)
SELECT (SELECT max(sales_date) FROM daily, typical WHERE daily.units >= 0.5 * typical.units)
           AS data_day,
       bound.latest_day
FROM bound
