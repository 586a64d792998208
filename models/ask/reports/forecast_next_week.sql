-- Forecast units per product over the next 7 days of the demand forecast.
WITH first_day AS (SELECT min(forecast_date) AS d FROM demand_forecast)
SELECT f.product_id, p.name AS product_name, round(sum(f.expected_units), 1) AS expected_units,
       round(sum(f.lower_units), 1) AS lower_units, round(sum(f.upper_units), 1) AS upper_units
FROM demand_forecast f
JOIN first_day ON f.forecast_date < first_day.d + 7
LEFT JOIN products p ON p.product_id = f.product_id
GROUP BY ALL
ORDER BY expected_units DESC
LIMIT $limit
