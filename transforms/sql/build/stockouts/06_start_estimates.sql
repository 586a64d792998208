-- fct_stockouts step 6, start estimates: an episode without a PA5 time starts where the slot's
-- rate says its last unit sold inside its window, in demand hours of the machine's clock.
start_windows AS (
    -- an estimated start: the window's demand hours (the demand clock at both ends)
    SELECT
        starts.*, window_ends.clock_from, window_ends.clock_to
    FROM episode_starts AS starts
    JOIN (
        SELECT ends.machine_serial, ends.selection_key, ends.read_id_end, ends.kind,
            sum(CASE WHEN ends.sign < 0 THEN clock.cum_before + clock.rel * (epoch(ends.bound_at)
                - epoch(clock.hour_start)) / 3600.0 END) AS clock_from,
            sum(CASE WHEN ends.sign > 0 THEN clock.cum_before + clock.rel * (epoch(ends.bound_at)
                - epoch(clock.hour_start)) / 3600.0 END) AS clock_to
        FROM (
            SELECT machine_serial, selection_key, read_id_end, kind, start_after AS bound_at,
                -1 AS sign
            FROM episode_starts WHERE sold_out_at IS NULL AND start_before > start_after
            UNION ALL
            SELECT machine_serial, selection_key, read_id_end, kind, start_before, 1
            FROM episode_starts WHERE sold_out_at IS NULL AND start_before > start_after
        ) AS ends
        ASOF JOIN demand_clock AS clock
            ON clock.machine_serial = ends.machine_serial AND clock.hour_start <= ends.bound_at
        GROUP BY ALL
    ) AS window_ends USING (machine_serial, selection_key, read_id_end, kind)
),
start_targets AS (
    -- the sell-out is the k-th sale, Gamma(k, rate) in demand hours, known to fall inside the
    -- window (U demand hours): its mean given that, (k/rate) P(k+1, rate U) / P(k, rate U)
    -- (P: the regularized lower incomplete gamma); without a rate, k/(k+1) of the window
    SELECT
        *,
        clock_from + coalesce(
            CASE WHEN gamma_k > 1e-9 THEN k / units_per_hour * gamma_k1 / gamma_k END,
            (clock_to - clock_from) * k / (k + 1.0)
        ) AS target
    FROM (
        SELECT
            *,
            1 - list_sum([exp(-window_units + j * ln(window_units) - lgamma(j + 1))
                for j in range(0, k)]) AS gamma_k,
            1 - list_sum([exp(-window_units + j * ln(window_units) - lgamma(j + 1))
                for j in range(0, k + 1)]) AS gamma_k1
        FROM (
            -- k: the units to sell; window_units: rate U, the units the window is expected to sell
            SELECT *, greatest(coalesce(units_to_sell, 1), 1)::INTEGER AS k,
                CASE WHEN units_per_hour > 0 AND clock_to > clock_from
                    THEN units_per_hour * (clock_to - clock_from) END AS window_units
            FROM start_windows
        )
    )
),
estimated_starts AS (
    SELECT
        targets.machine_serial, targets.selection_key, targets.read_id_end, targets.kind,
        least(greatest(
            clock.hour_start + to_microseconds(CAST((targets.target - clock.cum_before)
                / clock.rel * 3.6e9 AS BIGINT)),
            targets.start_after), targets.start_before) AS start_at
    FROM start_targets AS targets
    ASOF JOIN demand_clock AS clock
        ON clock.machine_serial = targets.machine_serial AND clock.cum_before <= targets.target
),
placed_episodes AS MATERIALIZED (
    SELECT
        starts.*,
        -- a window the device clock was set back in has no order: its end read's time
        coalesce(starts.sold_out_at, estimated.start_at, starts.start_before) AS start_at,
        CASE WHEN starts.sold_out_at IS NOT NULL THEN 'PA5' ELSE 'estimated' END
            AS start_source,
        starts.machine_serial || '|' || starts.selection_key || '|' || starts.read_id_end
            || '|' || starts.kind AS episode_id
    FROM episode_starts AS starts
    LEFT JOIN estimated_starts AS estimated
        USING (machine_serial, selection_key, read_id_end, kind)
)
