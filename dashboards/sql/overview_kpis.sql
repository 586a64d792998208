-- params: day=NULL
-- Units and revenue on $day (default: the latest sales day), in the 7 days ending $day and the
-- 7 days before, per currency (from revenue_per_machine_day: the same sums, machines × days).
WITH d AS (
    SELECT coalesce($day::DATE, (SELECT max(sales_date) FROM revenue_per_machine_day)) AS day
)
SELECT currency,
       sum(units_sold) FILTER (WHERE sales_date = d.day) AS units_today,
       sum(revenue) FILTER (WHERE sales_date = d.day) AS revenue_today,
       sum(units_sold) FILTER (WHERE sales_date > d.day - 7) AS units_week,
       sum(revenue) FILTER (WHERE sales_date > d.day - 7) AS revenue_week,
       sum(units_sold) FILTER (WHERE sales_date <= d.day - 7) AS units_prev_week,
       sum(revenue) FILTER (WHERE sales_date <= d.day - 7) AS revenue_prev_week
FROM revenue_per_machine_day, d
WHERE sales_date > d.day - 14 AND sales_date <= d.day
GROUP BY currency
ORDER BY currency
