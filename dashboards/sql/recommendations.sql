-- params: include_keep=0
-- Planogram recommendations of the newest run per cabinet, with product names and the
-- operational cabinet id; 'keep' rows only when $include_keep = 1. planogram: 'observed' for a
-- machine known only from DEX (no master cabinet: cabinet_id NULL, nothing to decide on), else
-- 'master'; machine: its asset number, or its DEX serial while it has none.
SELECT r.recommendation_id, r.run_id, r.machine_serial, r.asset_number,
       coalesce(r.asset_number, r.machine_serial) AS machine, r.cabinet,
       CASE WHEN e.source = 'observed' THEN NULL ELSE c.cabinet_id END AS cabinet_id,
       coalesce(e.source, 'master') AS planogram, r.slot, r.selection, r.change,
       r.current_product_id, cp.name AS current_product,
       r.recommended_product_id, np.name AS recommended_product,
       r.current_capacity, r.capacity, r.current_par_level, r.par_level,
       r.current_weekly_units, r.expected_weekly_units, r.expected_change_units,
       r.current_weekly_revenue, r.expected_weekly_revenue, r.expected_change_revenue,
       r.objective, r.reason, r.source, r.ai_status, r.ai_model, r.model_version, r.created_at,
       r.swap_cost, r.weekly_gain, r.weekly_gain_low, r.weekly_gain_high, r.horizon_weeks,
       r.net_gain, r.trial, r.visit_date, r.visit_source
FROM planogram_recommendations r
LEFT JOIN cabinets c
       ON c.cabinet_index = r.cabinet
      AND (c.asset_number = r.asset_number OR c.dex_serial = r.machine_serial)
LEFT JOIN (SELECT DISTINCT machine_serial, source FROM effective_planogram) e
       ON e.machine_serial = r.machine_serial
LEFT JOIN products cp ON cp.product_id = r.current_product_id
LEFT JOIN products np ON np.product_id = r.recommended_product_id
WHERE $include_keep = 1 OR r.change <> 'keep'
QUALIFY r.run_id = first_value(r.run_id)
        OVER (PARTITION BY r.machine_serial, r.cabinet ORDER BY r.created_at DESC)
ORDER BY r.asset_number, r.cabinet, r.slot
