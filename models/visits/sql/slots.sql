-- slots: every slot of every machine's effective planogram (master data, else observed from
-- DEX), with what the level estimate needs: the level at the slot's last read (PA108) and when,
-- the level at the machine's last visit read (before its refill), and the slot's sales rate over
-- the 28 days before the machine's own last read (per machine, so a machine whose clock jumped
-- keeps its own window).
WITH machine_end AS (
    SELECT machine_serial, max(period_end) AS last_end FROM fct_slot_sales GROUP BY ALL
),
last_read AS (
    SELECT machine_serial, selection, current_level, period_end
    FROM fct_slot_sales
    QUALIFY row_number() OVER (PARTITION BY machine_serial, selection ORDER BY period_end DESC) = 1
),
recent AS (
    SELECT
        s.machine_serial,
        s.selection,
        sum(s.units_sold) / greatest(
            date_diff('second', min(s.period_start), max(s.period_end)) / 86400.0, 1.0
        ) AS daily_rate
    FROM fct_slot_sales AS s
    JOIN machine_end AS m USING (machine_serial)
    WHERE s.period_end >= m.last_end - INTERVAL 28 DAY
    GROUP BY ALL
)
SELECT
    d.dex_serial AS machine_serial,
    p.asset_number,
    p.cabinet_id,
    p.cabinet_index,
    p.slot,
    p.selection,
    p.product_id,
    pr.name AS product_name,
    p.capacity,
    p.par_level,
    p.price_cents / 100.0 AS price,
    l.current_level AS level_at_last_read,
    l.period_end AS last_read_at,
    lv.current_level AS level_at_last_visit,
    coalesce(r.daily_rate, 0.0) AS daily_rate
FROM effective_planogram AS p
JOIN devices AS d ON d.dex_serial = p.machine_serial
LEFT JOIN products AS pr ON pr.product_id = p.product_id
LEFT JOIN last_read AS l ON l.machine_serial = d.dex_serial AND l.selection = p.selection
LEFT JOIN recent AS r ON r.machine_serial = d.dex_serial AND r.selection = p.selection
LEFT JOIN last_visits AS v ON v.machine_serial = d.dex_serial
LEFT JOIN fct_slot_sales AS lv
    ON lv.machine_serial = d.dex_serial AND lv.selection = p.selection AND lv.period_end = v.last_visit_at
ORDER BY d.dex_serial, p.cabinet_index, p.slot;
