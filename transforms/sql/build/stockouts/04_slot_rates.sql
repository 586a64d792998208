-- fct_stockouts step 4, slot rates: each slot's in-stock demand per demand hour (joined to the
-- intervals an episode starts in, 05_episode_starts).
slot_rates AS (
    -- the slot's demand per demand hour over the intervals whose demand is all known: units
    -- sold plus, after a sell-out, PA503's customers (leaving out the intervals that ended
    -- sold out would keep only the slow ones); not those sold out for a time nothing counts
    SELECT flags.machine_serial, flags.selection_key,
        sum(flags.units_sold + coalesce(flags.sold_out_count, 0))
            / nullif(sum(exposure.demand_hours), 0) AS units_per_hour
    FROM refill_flags AS flags
    JOIN interval_demand_hours AS exposure USING (machine_serial, read_id_end)
    WHERE NOT flags.hidden
      AND NOT (coalesce(flags.level_end, 1) = 0 AND flags.sold_out_count IS NULL)
      -- empty at the start read and not refilled there
      AND NOT (flags.level_start = 0 AND NOT flags.refilled_at_start)
    GROUP BY ALL
)
