-- Selections where the machine's DEX reports another product than the planogram says.
SELECT asset_number, machine_serial, cabinet_index, slot, selection,
       planogram_product_id, dex_product_id, dex_read_at
FROM planogram_vs_dex
WHERE status <> 'agrees'
ORDER BY asset_number, cabinet_index, slot
