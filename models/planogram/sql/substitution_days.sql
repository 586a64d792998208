-- Daily counters and stock-outs per machine and product over each machine's last $window days,
-- for the substitute-probability estimate (models/planogram/substitution.py): units sold that day
-- (slots of a product add up) and the share of the day the product was sold out — the least
-- sold-out share over its selections, since customers find it while any slot has it (an upper
-- bound on the time every slot was empty together). Ongoing stock-outs run to the window's end.
WITH win AS (
    SELECT machine_serial, max(sales_date) AS last_day, max(sales_date) - ($window - 1) AS first_day
    FROM fct_daily_sales
    GROUP BY machine_serial
),
days AS (
    SELECT machine_serial, CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
    FROM win
),
sel AS (
    SELECT DISTINCT s.machine_serial, s.selection, s.product_id
    FROM fct_daily_sales AS s
    JOIN win USING (machine_serial)
    WHERE s.sales_date BETWEEN win.first_day AND win.last_day AND s.product_id IS NOT NULL
),
sales AS (
    SELECT s.machine_serial, s.product_id, s.sales_date AS day, sum(s.units_sold) AS units
    FROM fct_daily_sales AS s
    JOIN win USING (machine_serial)
    WHERE s.sales_date BETWEEN win.first_day AND win.last_day AND s.product_id IS NOT NULL
    GROUP BY ALL
),
slot_out AS (
    SELECT
        o.machine_serial,
        o.selection,
        o.product_id,
        d.day,
        sum(greatest(0.0,
            epoch(least(coalesce(o.end_at, CAST(win.last_day + 1 AS TIMESTAMP)), CAST(d.day + 1 AS TIMESTAMP)))
            - epoch(greatest(o.start_at, CAST(d.day AS TIMESTAMP)))
        )) / 86400.0 AS out_days
    FROM fct_stockouts AS o
    JOIN win USING (machine_serial)
    JOIN days AS d
        ON d.machine_serial = o.machine_serial
        AND o.start_at < CAST(d.day + 1 AS TIMESTAMP)
        AND coalesce(o.end_at, CAST(win.last_day + 1 AS TIMESTAMP)) > CAST(d.day AS TIMESTAMP)
    GROUP BY ALL
),
product_out AS (
    SELECT s.machine_serial, s.product_id, d.day, min(coalesce(o.out_days, 0.0)) AS out_days
    FROM sel AS s
    JOIN days AS d USING (machine_serial)
    LEFT JOIN slot_out AS o
        ON o.machine_serial = s.machine_serial AND o.selection = s.selection
        AND o.product_id = s.product_id AND o.day = d.day
    GROUP BY ALL
)
SELECT p.machine_serial, p.product_id, p.day, coalesce(sa.units, 0) AS units,
    least(1.0, p.out_days) AS out_days
FROM product_out AS p
LEFT JOIN sales AS sa USING (machine_serial, product_id, day)
ORDER BY p.machine_serial, p.product_id, p.day
