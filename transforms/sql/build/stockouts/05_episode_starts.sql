-- fct_stockouts step 5, episode starts: the intervals in which an episode began, SEEN (ended sold
-- out) or HIDDEN (refilled from empty at an unreceived visit), with the window its start lies in.
seen_sellouts AS (
    -- an interval that ends sold out, unless the slot was already empty at its start and
    -- nothing was added (the same episode goes on; so does a PA5 repeated unchanged since the
    -- slot's interval that ended at this one's start read)
    SELECT
        this_interval.*,
        this_interval.refills_before + CASE WHEN this_interval.refilled THEN 1 ELSE 0 END
            AS refills_through,
        -- sold down from the last refill inside the interval, else from the start read
        CASE WHEN this_interval.refilled_unseen THEN this_interval.missing_at
            ELSE this_interval.period_start END AS window_from,
        CASE WHEN this_interval.refilled_unseen THEN this_interval.standard_fill
            ELSE this_interval.level_start + this_interval.added_at_start END AS units_to_sell
    FROM refill_flags AS this_interval
    WHERE (this_interval.level_end = 0 OR this_interval.sold_out_at IS NOT NULL)
      AND NOT (this_interval.level_start = 0 AND NOT this_interval.refilled)
      AND NOT (this_interval.sold_out_at IS NOT NULL
          AND this_interval.sold_out_at IS NOT DISTINCT FROM this_interval.previous_sold_out_at)
      AND (this_interval.level_start IS NOT NULL OR this_interval.sold_out_at IS NOT NULL
          OR this_interval.units_sold > 0)
),
episode_starts AS MATERIALIZED (
    SELECT starts.*, coalesce(rates.units_per_hour, 0) AS units_per_hour
    FROM (
        -- a seen episode keeps where its interval lies in the slot's chain, for its walk
        SELECT
            'seen' AS kind, machine_serial, selection_key, selection, product_id, read_id_end,
            CASE WHEN sold_out_at IS NOT NULL THEN sold_out_at ELSE window_from END
                AS start_after,
            CASE WHEN sold_out_at IS NOT NULL THEN sold_out_at ELSE period_end END
                AS start_before,
            sold_out_at, units_to_sell, NULL::TIMESTAMP AS end_at, period_end AS first_until,
            sold_out_count, chain_n, segment, refills_through
        FROM seen_sellouts
        UNION ALL
        -- sold out and refilled at a visit whose read we never received
        SELECT
            'hidden', machine_serial, selection_key, selection, product_start, read_id_end,
            period_start, missing_at, NULL, level_start + added_at_start, missing_at,
            missing_at, NULL, NULL, NULL, NULL
        FROM refill_flags
        WHERE hidden
    ) AS starts
    LEFT JOIN slot_rates AS rates USING (machine_serial, selection_key)
)
