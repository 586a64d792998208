-- Current slots of every machine's effective planogram (master data, else observed from DEX),
-- with the device's service days (observed from visits for a machine known only from DEX): the
-- planogram optimiser's starting point. product_id is the planogram's; dex_product_id what the
-- machine's newest read reports in that selection (planogram_vs_dex), NULL when DEX names none. DEX wins
-- for demand: category and size are those of the product DEX reports when it names one, and
-- recent_units are the units of that product sold at the selection over the machine's last
-- $window days of data (how the context splits a product's demand between the cabinets that hold
-- it).
WITH win AS (
    SELECT machine_serial, max(sales_date) - ($window - 1) AS first_day
    FROM fct_daily_sales
    GROUP BY machine_serial
),
recent AS (
    SELECT s.machine_serial, s.selection_key AS selection, s.product_id, sum(s.units_sold) AS units
    FROM fct_daily_sales AS s
    JOIN win USING (machine_serial)
    WHERE s.sales_date >= win.first_day
    GROUP BY ALL
),
slots AS (
    -- the planogram's slots (planogram_vs_dex has each with what DEX reports there)
    SELECT
        v.machine_serial,
        v.asset_number,
        v.cabinet_index,
        v.slot,
        v.selection,
        v.planogram_product_id AS product_id,
        p.capacity,
        p.par_level,
        coalesce(d.service_days, p.service_days) AS service_days,  -- observed: from visits
        v.dex_product_id,
        coalesce(v.dex_product_id, v.planogram_product_id) AS held_product_id
    FROM planogram_vs_dex AS v
    JOIN effective_planogram AS p
        ON p.machine_serial = v.machine_serial
        AND p.cabinet_index = v.cabinet_index
        AND p.slot = v.slot
    JOIN devices AS d ON d.dex_serial = v.machine_serial
    WHERE v.slot IS NOT NULL
)
SELECT
    s.machine_serial,
    s.asset_number,
    s.cabinet_index,
    s.slot,
    s.selection,
    s.product_id,
    s.capacity,
    s.par_level,
    s.service_days,
    pr.category,
    pr.size,
    s.dex_product_id,
    coalesce(r.units, 0) AS recent_units
FROM slots AS s
LEFT JOIN products AS pr ON pr.product_id = s.held_product_id
LEFT JOIN recent AS r
    ON r.machine_serial = s.machine_serial
    AND r.selection = s.selection
    AND r.product_id = s.held_product_id
ORDER BY s.machine_serial, s.cabinet_index, length(s.selection), s.selection
