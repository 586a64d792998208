-- effective_planogram: the planogram every model and page plans with. The master data's active
-- planogram where a machine has one (source 'master'), else the one observed from its newest DEX
-- read (observed_planogram, source 'observed'), so par levels, recommendations and visit plans
-- work before anyone imports master data. Keyed by machine_serial (an auto-registered device
-- has no asset number yet). cabinet_type: the master cabinet's type, or 'observed: <category>';
-- service_days: the device's, or those observed from its visits.
CREATE OR REPLACE VIEW effective_planogram AS
SELECT
    d.dex_serial AS machine_serial,
    p.asset_number,
    p.cabinet_id,
    p.cabinet_index,
    c.cabinet_type,
    p.slot,
    p.selection,
    p.product_id,
    p.capacity,
    p.par_level,
    p.price_cents,
    'master' AS source,
    CAST(NULL AS VARCHAR) AS capacity_source,
    CAST(NULL AS TIMESTAMP) AS observed_at,
    d.service_days
FROM planogram_slots AS p
JOIN devices AS d USING (asset_number)
LEFT JOIN cabinets AS c USING (cabinet_id)
WHERE d.dex_serial IS NOT NULL
UNION ALL BY NAME
SELECT *, 'observed' AS source
FROM observed_planogram;
