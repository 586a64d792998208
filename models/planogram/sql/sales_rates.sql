-- Fallback demand without a forecast: units sold over each machine's last $window days of data
-- (per machine: one device's clock jump must not move everyone's window) per product, divided by the days its slots were in stock (sold-out time from fct_stockouts), so
-- a product that sells out is not read as unpopular. Slots of one product add up. The context
-- pools these rates toward the machine × product model (candidates.pooled_rates).
WITH win AS (
    SELECT machine_serial, max(sales_date) AS last_day, max(sales_date) - ($window - 1) AS first_day
    FROM fct_daily_sales
    GROUP BY machine_serial
),
sales AS (
    SELECT s.machine_serial, s.selection, s.product_id, sum(s.units_sold) AS units
    FROM fct_daily_sales AS s
    JOIN win USING (machine_serial)
    WHERE s.sales_date BETWEEN win.first_day AND win.last_day AND s.product_id IS NOT NULL
    GROUP BY ALL
),
soldout AS (
    SELECT
        o.machine_serial,
        o.selection,
        o.product_id,
        sum(greatest(0.0,
            epoch(least(coalesce(o.end_at, win.last_day + 1), CAST(win.last_day + 1 AS TIMESTAMP)))
            - epoch(greatest(o.start_at, CAST(win.first_day AS TIMESTAMP)))
        )) / 86400.0 AS out_days
    FROM fct_stockouts AS o
    JOIN win USING (machine_serial)
    GROUP BY ALL
),
instock AS (
    SELECT
        s.machine_serial,
        s.product_id,
        s.units,
        greatest(1.0, (win.last_day - win.first_day + 1) - coalesce(o.out_days, 0.0)) AS days
    FROM sales AS s
    JOIN win USING (machine_serial)
    LEFT JOIN soldout AS o USING (machine_serial, selection, product_id)
)
-- daily_demand: the slots' rates added up; instock_days: the slots' mean in-stock days, the
-- evidence behind the rate (units = daily_demand × instock_days for a product in one slot)
SELECT
    machine_serial,
    product_id,
    sum(units / days) AS daily_demand,
    avg(days) AS instock_days
FROM instock
GROUP BY machine_serial, product_id
