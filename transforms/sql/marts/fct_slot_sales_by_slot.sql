-- fct_slot_sales_by_slot: fct_slot_sales with the physical slot (cabinet, slot label) of each
-- selection from the planogram, and the device's location and route. The master data holds the
-- active planogram version only (docs/metrics.md), so a selection whose slot moved is shown
-- where it is now.
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
LEFT JOIN planogram_slots AS p ON p.asset_number = d.asset_number AND p.selection = s.selection;
