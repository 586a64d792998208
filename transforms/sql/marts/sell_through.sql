-- sell_through: per product and ISO week, units sold / (units sold + units still in the slots at
-- the week's last read of each slot): the share of what was on offer that sold.
CREATE OR REPLACE VIEW sell_through AS
WITH weekly AS (
    SELECT
        product_id,
        date_trunc('week', period_end)::DATE AS week_start,
        sum(units_sold) AS units_sold
    FROM fct_slot_sales
    GROUP BY ALL
),
left_over AS (
    SELECT product_id, week_start, sum(current_level) AS units_left
    FROM (
        SELECT product_id, current_level, date_trunc('week', period_end)::DATE AS week_start
        FROM fct_slot_sales
        QUALIFY row_number() OVER (
            PARTITION BY machine_serial, selection_key, date_trunc('week', period_end)
            ORDER BY period_end DESC
        ) = 1
    )
    GROUP BY ALL
)
SELECT
    w.product_id,
    w.week_start,
    w.units_sold::BIGINT AS units_sold,
    l.units_left::BIGINT AS units_left,
    round(w.units_sold / nullif(w.units_sold + l.units_left, 0), 3) AS sell_through
FROM weekly AS w
LEFT JOIN left_over AS l USING (product_id, week_start);
