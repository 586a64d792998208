-- Mean forecast daily demand per machine and product (summed over the product's slots), with
-- the forecast's model version: the demand the optimiser plans with when a forecast exists.
SELECT
    machine_serial,
    product_id,
    sum(expected_units) / count(DISTINCT forecast_date) AS daily_demand,
    max(model_version) AS model_version
FROM demand_forecast
WHERE product_id IS NOT NULL
GROUP BY machine_serial, product_id
