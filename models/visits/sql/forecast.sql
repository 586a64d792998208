-- forecast: expected units per current slot and day from the demand forecast (ml/demand_forecast),
-- for the days of the planning horizon.
SELECT machine_serial, cabinet_index, slot, forecast_date, sum(expected_units) AS expected_units
FROM demand_forecast
WHERE forecast_date > $as_of_date AND forecast_date <= $as_of_date + $horizon_days
GROUP BY ALL;
