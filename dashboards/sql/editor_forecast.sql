-- params: machine_serial=''
-- The planogram editor's what-if: expected units a week from the demand forecast (its first
-- 7 forecast days). kind 'slot': each slot of the machine now (cabinet, slot, product);
-- kind 'product': every forecast product as it would sell here, its mean weekly units per slot
-- across the fleet times this machine's traffic (its slots' forecast over the fleet mean of
-- the same products), the rate × traffic rule of models/planogram/candidates.py.
WITH horizon AS (
    SELECT machine_serial, cabinet_index, slot, product_id, expected_units
    FROM demand_forecast
    WHERE forecast_date < (SELECT min(forecast_date) FROM demand_forecast) + 7
),
weekly AS (
    SELECT machine_serial, cabinet_index, slot, product_id, sum(expected_units) AS units
    FROM horizon GROUP BY ALL
),
fleet AS (SELECT product_id, avg(units) AS units FROM weekly GROUP BY 1),
traffic AS (
    SELECT coalesce(sum(w.units) / nullif(sum(f.units), 0), 1.0) AS factor
    FROM weekly w JOIN fleet f USING (product_id)
    WHERE w.machine_serial = $machine_serial
)
SELECT 'slot' AS kind, cabinet_index, slot, product_id, units AS weekly_units
FROM weekly WHERE machine_serial = $machine_serial
UNION ALL
SELECT 'product', NULL, NULL, product_id, units * (SELECT factor FROM traffic)
FROM fleet
ORDER BY kind, cabinet_index, slot, product_id
