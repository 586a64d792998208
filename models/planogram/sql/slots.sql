-- Current slots of every placed machine's cabinets, with the device's service days and the
-- product's category and size (the planogram optimiser's starting point).
SELECT
    d.dex_serial AS machine_serial,
    p.asset_number,
    p.cabinet_index,
    p.slot,
    p.selection,
    p.product_id,
    p.capacity,
    p.par_level,
    d.service_days,
    pr.category,
    pr.size
FROM planogram_slots AS p
JOIN devices AS d USING (asset_number)
LEFT JOIN products AS pr USING (product_id)
WHERE d.dex_serial IS NOT NULL
ORDER BY machine_serial, p.cabinet_index, length(p.selection), p.selection
