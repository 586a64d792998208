-- slot_status: every slot now, "now" being the fleet's latest read (machine clock), so demo and
-- historical data read the same. Units left: the level of the last read (PA108) minus the
-- slot's recent rate × hours since that read. Rate: units over the last 28 days of intervals.
WITH now_ AS (SELECT as_of FROM fleet_clock),
last AS (
    SELECT * FROM fct_slot_sales
    QUALIFY row_number() OVER (PARTITION BY machine_serial, selection_key ORDER BY period_end DESC) = 1
),
recent AS (
    SELECT
        s.machine_serial, s.selection_key,
        sum(s.units_sold) / greatest(
            date_diff('second', min(s.period_start), max(s.period_end)) / 86400.0, 1.0 / 24
        ) AS daily_rate
    FROM fct_slot_sales AS s, now_
    WHERE s.period_end >= now_.as_of - INTERVAL 28 DAY
    GROUP BY ALL
),
estimate AS (
    SELECT
        l.*,
        coalesce(r.daily_rate, 0) AS daily_rate,
        now_.as_of,
        -- a clock set ahead of the fleet's reads no age, not a negative one
        greatest(date_diff('second', l.period_end, now_.as_of), 0) / 3600.0 AS last_read_age_hours,
        l.current_level - coalesce(r.daily_rate, 0)
            * greatest(date_diff('second', l.period_end, now_.as_of), 0) / 86400.0 AS left_estimate
    FROM last AS l
    CROSS JOIN now_
    LEFT JOIN recent AS r USING (machine_serial, selection_key)
)
SELECT
    e.machine_serial,
    d.asset_number,
    p.cabinet_index,
    p.slot,
    e.selection,
    e.product_id,
    e.capacity,
    p.par_level,
    e.current_level AS level_at_last_read,
    greatest(round(e.left_estimate, 1), 0) AS est_units_left,
    round(e.daily_rate, 2) AS daily_rate,
    CASE WHEN e.daily_rate > 0 THEN round(greatest(e.left_estimate, 0) / e.daily_rate, 1) END
        AS days_until_sold_out,
    e.left_estimate <= 0 OR (e.current_level = 0) AS sold_out,
    e.period_end AS last_read_at,
    round(e.last_read_age_hours, 1) AS last_read_age_hours,
    e.as_of
FROM estimate AS e
LEFT JOIN devices AS d ON d.dex_serial = e.machine_serial
LEFT JOIN planogram_slots AS p ON p.asset_number = d.asset_number AND p.selection = e.selection
