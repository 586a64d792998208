-- params: machine_serial=''
-- Selections of the machine where its newest DEX read reports another product than the active
-- planogram, or a selection the planogram lacks (planogram_vs_dex), with product names. The
-- planogram optimiser plans these slots with what DEX reports.
SELECT v.cabinet_index, v.slot, v.selection, v.status,
       v.planogram_product_id, pp.name AS planogram_product,
       v.dex_product_id, dp.name AS dex_product, v.dex_read_at
FROM planogram_vs_dex AS v
LEFT JOIN products AS pp ON pp.product_id = v.planogram_product_id
LEFT JOIN products AS dp ON dp.product_id = v.dex_product_id
WHERE v.machine_serial = $machine_serial AND v.status IN ('differs', 'not_in_planogram')
ORDER BY v.cabinet_index, length(v.selection), v.selection
