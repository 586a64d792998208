-- fct_daily_sales: units and revenue per machine, selection, product and calendar day (machine
-- clock). Each interval is spread over its days by the machine's hour-of-week profile with
-- largest-remainder rounding (transforms/spread.py), so days add up to intervals exactly.
CREATE OR REPLACE VIEW fct_daily_sales AS
SELECT
    machine_serial,
    selection_key,
    any_value(selection) AS selection,
    product_id,
    sales_date,
    sum(units_sold)::BIGINT AS units_sold,
    -- minor units times 10^-decimals, all in DECIMAL: a division would turn money into DOUBLE
    CAST(
        CAST(sum(revenue_minor) AS DECIMAL(20, 4))
        * CAST(power(10, -any_value(currency_decimals)) AS DECIMAL(20, 4))
        AS DECIMAL(20, 4)
    ) AS revenue,
    currency,
    count(*)::INTEGER AS intervals
FROM read_parquet({files:marts/fct_daily_sales_parts}, union_by_name = true)
GROUP BY machine_serial, selection_key, product_id, sales_date, currency;
