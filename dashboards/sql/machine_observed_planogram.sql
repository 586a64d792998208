-- params: machine_serial=''
-- The planogram observed from DEX of a machine known only from DEX (effective_planogram rows of
-- source 'observed'; none for a machine with master data), with product names.
SELECT e.cabinet_index, e.cabinet_type, e.slot, e.selection, e.product_id, p.name AS product_name,
       e.price_cents / 100.0 AS price, e.capacity, e.capacity_source, e.par_level,
       e.service_days, e.observed_at
FROM effective_planogram e
LEFT JOIN products p USING (product_id)
WHERE e.machine_serial = $machine_serial AND e.source = 'observed'
ORDER BY e.cabinet_index, length(e.selection), e.selection
