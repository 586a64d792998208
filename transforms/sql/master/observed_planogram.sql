-- observed_planogram: the planogram of a machine known only from DEX (no active planogram in the
-- master data: an auto-registered device, or a placed one nobody has entered a planogram for),
-- read off the selections (PA1) of its newest read by machine clock. One row per selection of
-- that read; every field is the newest value a read of the machine reported for the selection,
-- so a field one read leaves out (PA1**1*5) is taken from the read before. Defaults where DEX
-- lacks a field (docs/warehouse.md, "Observed planograms"):
--   cabinet     one observed cabinet per product category (a slot keeps to what it holds now:
--               DEX does not say which selection is in the cooler), numbered by category name;
--               products missing from the catalog share one last cabinet.
--   slot        the selection id (DEX names no slot positions).
--   capacity    PA104; else the highest level (PA108) or standard fill (PA105) ever reported
--               there; else the catalog's units per spiral for the product's size (S 15, M 10,
--               L 7: the planogram settings' defaults); else 10. capacity_source says which.
--   par_level   PA105 (standard fill) where 1 <= PA105 <= capacity; else round(0.85 x capacity).
--   price_cents PA102 in minor units (its ID401 scale removed).
--   service_days the weekdays (MTWTFSS mask, machine clock) with at least 2 visits in the last
--               28 days of the machine's visits, a visit being a read with a door opening (EA1
--               EGS) within an hour, as models/visits/sql/last_visits.sql counts them; NULL
--               without visits (the planners then assume one visit a week).
CREATE OR REPLACE VIEW observed_planogram AS
WITH visits AS (
    SELECT DISTINCT machine_serial, read_at
    FROM dex_events
    WHERE segment = 'EA1' AND code = 'EGS' AND event_at IS NOT NULL AND read_at IS NOT NULL
        AND abs(date_diff('second', event_at, read_at)) <= 3600
),
visit_days AS (
    SELECT v.machine_serial, isodow(v.read_at) AS weekday, count(*) AS visits
    FROM visits AS v
    JOIN (SELECT machine_serial, max(read_at) AS last_at FROM visits GROUP BY ALL) AS m
        USING (machine_serial)
    WHERE v.read_at > m.last_at - INTERVAL 28 DAY
    GROUP BY ALL
),
service AS (
    SELECT
        machine_serial,
        list_aggregate(
            [CASE WHEN list_contains(list(weekday) FILTER (WHERE visits >= 2), d) THEN '1'
                ELSE '0' END FOR d IN range(1, 8)],
            'string_agg',
            ''
        ) AS service_days
    FROM visit_days
    GROUP BY ALL
),
planned AS (
    SELECT DISTINCT d.dex_serial AS machine_serial
    FROM planogram_slots AS p
    JOIN devices AS d USING (asset_number)
    WHERE d.dex_serial IS NOT NULL
),
latest AS (
    SELECT r.machine_serial, r.read_id, r.read_at
    FROM dex_reads AS r
    WHERE r.machine_serial IS NOT NULL
        AND r.machine_serial NOT IN (SELECT machine_serial FROM planned)
        AND EXISTS (SELECT 1 FROM dex_selection_counters AS c WHERE c.read_id = r.read_id)
    QUALIFY row_number() OVER (
        PARTITION BY r.machine_serial
        ORDER BY r.read_at DESC NULLS LAST, r.received_at DESC NULLS LAST, r.read_id DESC
    ) = 1
),
fields AS (
    -- per machine and selection, the newest value of each field any read reported
    SELECT
        c.machine_serial,
        c.selection,
        arg_max(c.product_id, c.read_at) FILTER (WHERE c.product_id IS NOT NULL) AS product_id,
        arg_max(c.price, c.read_at) FILTER (WHERE c.price IS NOT NULL) AS price,
        arg_max(c.capacity, c.read_at) FILTER (WHERE c.capacity > 0) AS capacity,
        arg_max(c.standard_fill, c.read_at) FILTER (WHERE c.standard_fill > 0) AS standard_fill,
        max(greatest(coalesce(c.current_level, 0), coalesce(c.standard_fill, 0))) AS most_seen
    FROM dex_selection_counters AS c
    WHERE c.selection IS NOT NULL
        AND c.machine_serial IN (SELECT machine_serial FROM latest)
    GROUP BY ALL
),
slots AS (
    SELECT
        l.machine_serial,
        l.read_at AS observed_at,
        c.selection,
        min(c.position) AS position
    FROM latest AS l
    JOIN dex_selection_counters AS c USING (read_id)
    WHERE c.selection IS NOT NULL
    GROUP BY ALL
),
sized AS (
    SELECT
        s.machine_serial,
        s.observed_at,
        s.selection,
        s.position,
        f.product_id,
        pr.category,
        CAST(round(f.price * 100) AS BIGINT) AS price_cents,
        f.standard_fill,
        CASE
            WHEN f.capacity IS NOT NULL THEN f.capacity
            WHEN f.most_seen > 0 THEN f.most_seen
            WHEN pr.size = 'S' THEN 15
            WHEN pr.size = 'M' THEN 10
            WHEN pr.size = 'L' THEN 7
            ELSE 10
        END AS capacity,
        CASE
            WHEN f.capacity IS NOT NULL THEN 'dex'
            WHEN f.most_seen > 0 THEN 'most_seen'
            WHEN pr.size IN ('S', 'M', 'L') THEN 'size_default'
            ELSE 'default'
        END AS capacity_source
    FROM slots AS s
    JOIN fields AS f USING (machine_serial, selection)
    LEFT JOIN products AS pr ON pr.product_id = f.product_id
)
SELECT
    s.machine_serial,
    d.asset_number,
    CAST(NULL AS BIGINT) AS cabinet_id,
    CAST(dense_rank() OVER (
        PARTITION BY s.machine_serial ORDER BY s.category IS NULL, s.category
    ) AS BIGINT) AS cabinet_index,
    'observed: ' || coalesce(s.category, 'uncategorised') AS cabinet_type,
    s.selection AS slot,
    s.selection,
    s.product_id,
    CAST(s.capacity AS BIGINT) AS capacity,
    CAST(CASE
        WHEN s.standard_fill BETWEEN 1 AND s.capacity THEN s.standard_fill
        ELSE greatest(1, round(0.85 * s.capacity))
    END AS BIGINT) AS par_level,
    s.price_cents,
    s.capacity_source,
    s.observed_at,
    nullif(v.service_days, '0000000') AS service_days
FROM sized AS s
LEFT JOIN devices AS d ON d.dex_serial = s.machine_serial
LEFT JOIN service AS v ON v.machine_serial = s.machine_serial
ORDER BY s.machine_serial, cabinet_index, s.position;
