-- fct_stockouts: sold-out episodes per slot. Start: PA5's sold-out time of the read that shows
-- it, or, without PA5, estimated by selling down the level of the previous read at the interval's
-- average pace. End: the visit read after which the slot is refilled (the level rose). Lost
-- units: the slot's demand rate while in stock (units per hour over intervals that did not end
-- sold out) × the episode's hours.
WITH s AS (
    SELECT
        *,
        lag(current_level) OVER w AS prev_level,
        lead(current_level) OVER w AS next_level,
        lead(units_sold) OVER w AS next_units,
        date_diff('second', period_start, period_end) / 3600.0 AS hours
    FROM fct_slot_sales
    WINDOW w AS (PARTITION BY machine_serial, selection_key ORDER BY period_end)
),
starts AS (
    SELECT
        machine_serial, selection_key, selection, product_id, read_id_end AS read_id_detected,
        period_end AS detected_at,
        CASE
            WHEN sold_out_at IS NOT NULL THEN sold_out_at
            -- no PA5: the level of the previous read sold down at the interval's pace
            ELSE period_start + to_microseconds(CAST(
                date_diff('microsecond', period_start, period_end)
                * least(coalesce(prev_level, units_sold), units_sold) / greatest(units_sold, 1)
                AS BIGINT))
        END AS start_at,
        CASE WHEN sold_out_at IS NOT NULL THEN 'PA5' ELSE 'estimated' END AS start_source
    FROM s
    WHERE sold_out_at IS NOT NULL
       OR (current_level = 0 AND coalesce(prev_level, 1) > 0 AND units_sold > 0)
),
refills AS (
    -- stock was added after this read: the next read holds more than this one minus its sales
    SELECT machine_serial, selection_key, period_end AS refill_read_at
    FROM s
    WHERE next_level IS NOT NULL AND current_level IS NOT NULL
      AND next_level + next_units > current_level
),
rates AS (
    SELECT
        machine_serial, selection_key,
        sum(units_sold) / nullif(sum(hours), 0) AS units_per_hour
    FROM s
    WHERE sold_out_at IS NULL AND coalesce(current_level, 1) > 0
    GROUP BY ALL
),
last_reads AS (
    SELECT machine_serial, max(period_end) AS last_read_at FROM fct_slot_sales GROUP BY ALL
),
episodes AS (
    SELECT
        st.*,
        r.refill_read_at AS end_at,
        row_number() OVER (
            PARTITION BY st.machine_serial, st.selection_key, r.refill_read_at
            ORDER BY st.detected_at
        ) AS nth_in_refill
    FROM starts AS st
    ASOF LEFT JOIN refills AS r
        ON r.machine_serial = st.machine_serial
        AND r.selection_key = st.selection_key
        AND r.refill_read_at >= st.detected_at
)
SELECT
    e.machine_serial,
    e.selection,
    e.selection_key,
    e.product_id,
    e.start_at,
    e.start_source,
    e.end_at,
    e.end_at IS NULL AS ongoing,
    round(date_diff('second', e.start_at, coalesce(e.end_at, l.last_read_at)) / 60.0, 1)
        AS duration_minutes,
    round(coalesce(ra.units_per_hour, 0)
        * date_diff('second', e.start_at, coalesce(e.end_at, l.last_read_at)) / 3600.0, 2)
        AS est_lost_units,
    ra.units_per_hour AS demand_units_per_hour,
    e.read_id_detected
FROM episodes AS e
JOIN last_reads AS l USING (machine_serial)
LEFT JOIN rates AS ra USING (machine_serial, selection_key)
-- a slot seen sold out at several reads before one refill is one episode
WHERE e.nth_in_refill = 1
