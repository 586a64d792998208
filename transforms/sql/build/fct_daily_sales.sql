-- fct_daily_sales: units and revenue per machine, selection, product and calendar day (machine
-- clock), for the days in [$first, $until). Each interval is spread over its days by the
-- machine's hour-of-week profile with largest-remainder rounding (transforms/spread.py), so days
-- add up to intervals exactly; the parts of one day may come from intervals filed under two end
-- months, so the sum is taken over every part file. Stored by month of sales_date
-- (transforms/derived.py), sorted by day so a date filter reads only the row groups it needs.
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
WHERE sales_date >= $first AND sales_date < $until
GROUP BY machine_serial, selection_key, product_id, sales_date, currency
ORDER BY sales_date, machine_serial, selection_key, product_id, currency
