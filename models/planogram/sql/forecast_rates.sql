-- Mean forecast daily demand per machine and product (summed over the product's slots), with
-- the forecast's model version: the demand the optimiser plans with when a forecast exists.
-- The forecast is of the planogram's product; where the machine reports another product in the
-- selection (planogram_vs_dex, status 'differs') that forecast is of a product not in the
-- machine, so the slot counts instead with what DEX says sold there: the reported product's units
-- at the selection over the days it sold there in the machine's last $window days.
WITH win AS (
    SELECT machine_serial, max(sales_date) - ($window - 1) AS first_day
    FROM fct_daily_sales
    GROUP BY machine_serial
),
differs AS (
    SELECT machine_serial, selection, dex_product_id
    FROM planogram_vs_dex
    WHERE status = 'differs'
),
forecast AS (
    SELECT
        f.machine_serial,
        f.product_id,
        sum(f.expected_units) / count(DISTINCT f.forecast_date) AS daily_demand,
        max(f.model_version) AS model_version
    FROM demand_forecast AS f
    ANTI JOIN differs AS x ON x.machine_serial = f.machine_serial AND x.selection = f.selection
    WHERE f.product_id IS NOT NULL
    GROUP BY ALL
),
reported AS (
    SELECT
        s.machine_serial,
        s.product_id,
        sum(s.units_sold) / count(DISTINCT s.sales_date) AS daily_demand,
        NULL AS model_version
    FROM fct_daily_sales AS s
    JOIN win USING (machine_serial)
    JOIN differs AS x
        ON x.machine_serial = s.machine_serial
        AND x.selection = s.selection_key
        AND x.dex_product_id = s.product_id
    WHERE s.sales_date >= win.first_day
    GROUP BY s.machine_serial, s.product_id, x.selection
)
SELECT machine_serial, product_id, sum(daily_demand) AS daily_demand, max(model_version) AS model_version
FROM (SELECT * FROM forecast UNION ALL SELECT * FROM reported)
GROUP BY ALL
