-- fct_stockouts step 3, the machine's demand clock: one EM step from flat spreads each
-- interval's units (all selections) over its hours; a cell of the hour-of-week gets the units it
-- received per hour observed, shrunk with 4 pseudo-hours of the machine's mean rate; `rel` is the
-- cell's rate over the mean, and `cum_before` the demand hours (sum of rel) of the machine before
-- the hour. Also the demand hours of every interval.
machine_intervals AS (
    SELECT machine_serial, read_id_end, any_value(period_start) AS period_start,
        any_value(period_end) AS period_end, sum(units_sold) AS units
    FROM fct_slot_sales
    WHERE period_end > period_start
    GROUP BY machine_serial, read_id_end
),
hour_pieces AS (
    -- each machine interval cut at the hour boundaries, with its flat rate
    SELECT
        machine_serial, read_id_end, hour_start,
        (epoch(least(hour_start + INTERVAL 1 HOUR, period_end)) - epoch(greatest(hour_start,
            period_start))) / 3600.0 AS piece_hours,
        units / ((epoch(period_end) - epoch(period_start)) / 3600.0) AS units_per_hour
    FROM (
        SELECT *, unnest(generate_series(date_trunc('hour', period_start),
            period_end - INTERVAL 1 MICROSECOND, INTERVAL 1 HOUR)) AS hour_start
        FROM machine_intervals
    )
),
machine_mean_rate AS (
    SELECT machine_serial, sum(units_per_hour * piece_hours) / sum(piece_hours) AS rate
    FROM hour_pieces
    GROUP BY ALL
),
hour_of_week_rates AS (
    SELECT
        cell.machine_serial, cell.dow, cell.hr,
        CASE WHEN machine_mean.rate > 0
            THEN (cell.units + 4 * machine_mean.rate) / (cell.hours + 4) / machine_mean.rate
            ELSE 1 END AS rel
    FROM (
        SELECT machine_serial, isodow(hour_start) AS dow, hour(hour_start) AS hr,
            sum(units_per_hour * piece_hours) AS units, sum(piece_hours) AS hours
        FROM hour_pieces
        GROUP BY ALL
    ) AS cell
    JOIN machine_mean_rate AS machine_mean USING (machine_serial)
),
demand_clock AS MATERIALIZED (
    SELECT
        hours.machine_serial, hours.hour_start, cell.rel,
        coalesce(sum(cell.rel) OVER (PARTITION BY hours.machine_serial ORDER BY hours.hour_start
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum_before
    FROM (SELECT DISTINCT machine_serial, hour_start FROM hour_pieces) AS hours
    JOIN hour_of_week_rates AS cell
        ON cell.machine_serial = hours.machine_serial AND cell.dow = isodow(hours.hour_start)
        AND cell.hr = hour(hours.hour_start)
),
interval_demand_hours AS (
    -- demand hours of every interval: its pieces' hours times their cells' rel
    SELECT piece.machine_serial, piece.read_id_end, sum(piece.piece_hours * cell.rel)
        AS demand_hours
    FROM hour_pieces AS piece
    JOIN hour_of_week_rates AS cell
        ON cell.machine_serial = piece.machine_serial AND cell.dow = isodow(piece.hour_start)
        AND cell.hr = hour(piece.hour_start)
    GROUP BY ALL
)
