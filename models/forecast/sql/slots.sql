-- The active planogram's slots with where they stand (location, traffic) and what they hold.
SELECT d.dex_serial AS machine_serial, p.asset_number, p.cabinet_index::BIGINT AS cabinet_index,
       p.slot, p.selection, p.product_id, p.capacity, d.location_id, l.traffic,
       pr.category
FROM planogram_slots p
JOIN devices d USING (asset_number)
LEFT JOIN locations l USING (location_id)
LEFT JOIN products pr USING (product_id)
WHERE d.dex_serial IS NOT NULL
