-- fct_slot_sales_by_slot: fct_slot_sales with the physical slot (cabinet, slot label) of each
-- selection from the planogram version in force when the interval ended (planogram_history:
-- valid_from <= period_end < valid_to), and the device's location and route. An interval whose
-- selection is in no planogram version of the machine keeps NULL slot columns.
CREATE OR REPLACE VIEW fct_slot_sales_by_slot AS
SELECT
    s.*,
    d.asset_number,
    d.location_id,
    d.route_id,
    p.cabinet_index,
    p.slot,
    p.planogram_version,
    p.product_id AS planogram_product_id,
    p.par_level
FROM fct_slot_sales AS s
LEFT JOIN devices AS d ON d.dex_serial = s.machine_serial
LEFT JOIN planogram_history AS p
    ON p.dex_serial = s.machine_serial
    AND p.selection = s.selection
    AND (p.valid_from IS NULL OR p.valid_from <= s.period_end)
    AND (p.valid_to IS NULL OR s.period_end < p.valid_to);
