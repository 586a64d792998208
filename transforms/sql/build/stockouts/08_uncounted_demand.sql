-- fct_stockouts step 8, uncounted demand: the minutes and demand hours of every stretch of an
-- episode that no PA503 counts (its lost demand is then estimated from the slot's rate).
uncounted_gaps AS (
    -- every stretch of an episode that no PA503 counts: the first (sell-out to its read, or
    -- to the unreceived refill) and the walked ones
    SELECT episode_id, machine_serial, start_at AS gap_from, first_until AS gap_to
    FROM placed_episodes
    WHERE sold_out_count IS NULL AND first_until > start_at
    UNION ALL
    SELECT episode_id, machine_serial, gap_from, gap_to
    FROM episode_walk
    WHERE gap_to > gap_from
),
uncounted_hours AS (
    SELECT
        ends.episode_id,
        sum(ends.sign * epoch(ends.bound_at)) / 60.0 AS minutes,
        sum(ends.sign * (clock.cum_before
            + clock.rel * (epoch(ends.bound_at) - epoch(clock.hour_start)) / 3600.0))
            AS demand_hours
    FROM (
        SELECT episode_id, machine_serial, gap_from AS bound_at, -1 AS sign FROM uncounted_gaps
        UNION ALL
        SELECT episode_id, machine_serial, gap_to, 1 FROM uncounted_gaps
    ) AS ends
    ASOF JOIN demand_clock AS clock
        ON clock.machine_serial = ends.machine_serial AND clock.hour_start <= ends.bound_at
    GROUP BY ALL
)
