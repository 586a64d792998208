-- The effective planogram's slots (master, else observed from DEX) with where they stand
-- (location, traffic) and what they hold.
SELECT p.machine_serial, p.asset_number, p.cabinet_index::BIGINT AS cabinet_index,
       p.slot, p.selection, p.product_id, p.capacity, d.location_id, l.traffic,
       pr.category
FROM effective_planogram p
JOIN devices d ON d.dex_serial = p.machine_serial
LEFT JOIN locations l USING (location_id)
LEFT JOIN products pr USING (product_id)
WHERE d.dex_serial IS NOT NULL
