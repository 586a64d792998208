-- planogram_vs_dex: per machine and selection, the product the active planogram puts there beside
-- the product the machine itself reports there (DEX PA102 of the newest read carrying that
-- selection by machine clock: receipt order says nothing when a backlog arrives late). Master
-- data can lag the machine (a driver's swap not yet entered, a changeover not yet done): where
-- the two differ, the planogram optimiser plans with what DEX reports (docs/planogram.md) and the
-- Machine and Recommendations pages show the disagreement. status: agrees | differs |
-- not_in_planogram (DEX reports a selection the planogram lacks) | no_dex (no read reports the
-- selection) | no_product (the read names no product there).
CREATE OR REPLACE VIEW planogram_vs_dex AS
WITH latest AS (
    SELECT
        c.machine_serial,
        c.selection,
        c.product_id AS dex_product_id,
        c.read_at AS dex_read_at
    FROM dex_selection_counters AS c
    JOIN dex_reads AS r USING (read_id)
    WHERE c.selection IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY c.machine_serial, c.selection
        ORDER BY c.read_at DESC NULLS LAST, r.received_at DESC NULLS LAST, c.read_id DESC
    ) = 1
),
planned AS (
    -- the effective planogram: a machine known only from DEX has its observed one (which then
    -- agrees with DEX by construction)
    SELECT
        machine_serial,
        asset_number,
        cabinet_index,
        slot,
        selection,
        product_id AS planogram_product_id
    FROM effective_planogram
)
SELECT
    coalesce(p.machine_serial, l.machine_serial) AS machine_serial,
    coalesce(p.asset_number, d.asset_number) AS asset_number,
    p.cabinet_index,
    p.slot,
    coalesce(p.selection, l.selection) AS selection,
    p.planogram_product_id,
    l.dex_product_id,
    l.dex_read_at,
    CASE
        WHEN l.selection IS NULL THEN 'no_dex'
        WHEN p.selection IS NULL THEN 'not_in_planogram'
        WHEN l.dex_product_id IS NULL THEN 'no_product'
        WHEN l.dex_product_id = p.planogram_product_id THEN 'agrees'
        ELSE 'differs'
    END AS status
FROM planned AS p
FULL JOIN latest AS l ON l.machine_serial = p.machine_serial AND l.selection = p.selection
LEFT JOIN devices AS d ON d.dex_serial = l.machine_serial;
