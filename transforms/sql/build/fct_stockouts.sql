-- fct_stockouts: sold-out episodes per slot, from the intervals of fct_slot_sales and the levels
-- (PA108), standard fill (PA105), sold-out time and count (PA501-503) of their two reads, EA3's
-- previous-read time and the door openings (EA1 EGS). docs/metrics.md, "Stock-outs", explains
-- every rule; in short:
--   stock added in an interval = level at the end + units sold + test and free vends - level at
--   the start. A refill follows a visit read: the start read when it was a visit (or no read is
--   missing), else a read we never received (EA3 of the end read dates it). A refill adds
--   standard fill minus the level it finds, so stock added = standard fill means the slot was
--   empty when refilled.
--   An episode is SEEN when an interval ends at level 0 (or with PA5) without having started
--   empty and unrefilled; HIDDEN when an interval starting above 0 was refilled from empty at an
--   unreceived visit (its PA5 went with that read). It ends at the first refill after its start.
--   Lost demand: PA503 (customers who chose the sold-out selection since the previous read)
--   where the read gives it, else the slot's in-stock rate x the sold-out time it does not
--   cover, both measured in "demand hours" of the machine's hour-of-week profile.
WITH RECURSIVE
lv AS (
    SELECT read_id, coalesce(selection, '#' || position) AS selection_key, current_level,
        standard_fill, product_id
    FROM dex_selection_counters
),
doors AS (
    -- reads taken at a service visit: the door was opened in the hour before the read (EA1 EGS)
    SELECT DISTINCT read_id
    FROM dex_events
    WHERE code = 'EGS' AND event_at BETWEEN read_at - INTERVAL 1 HOUR AND read_at + INTERVAL 1 MINUTE
),
iv AS (
    SELECT
        f.machine_serial, f.selection_key, f.selection, f.product_id, f.read_id_start,
        f.read_id_end, f.period_start, f.period_end, f.units_sold, f.sold_out_at,
        f.sold_out_count, a.current_level AS level_start, f.current_level AS level_end,
        b.standard_fill, a.product_id AS product_start, f.counter_basis,
        -- the machine's previous read (EA3) lies after the start read: reads we never received
        CASE WHEN r.previous_read_at > f.period_start AND r.previous_read_at < f.period_end
            THEN r.previous_read_at END AS missing_at,
        d.read_id IS NOT NULL AS visit_at_start,
        f.current_level + f.units_sold + f.test_vends + f.free_vends - a.current_level AS added
    FROM fct_slot_sales AS f
    LEFT JOIN lv AS a ON a.read_id = f.read_id_start AND a.selection_key = f.selection_key
    LEFT JOIN lv AS b ON b.read_id = f.read_id_end AND b.selection_key = f.selection_key
    LEFT JOIN dex_reads AS r ON r.read_id = f.read_id_end
    LEFT JOIN doors AS d ON d.read_id = f.read_id_start
),
split AS (
    -- stock added at the start read (a visit, or nothing missing: the only read a refill can
    -- follow) and at the unreceived read(s); interval-only counters do not cover unreceived
    -- reads, so there only a level that rose tells of a refill, and not how much
    SELECT
        *,
        CASE WHEN missing_at IS NULL THEN greatest(added, 0)
            WHEN visit_at_start THEN greatest(standard_fill - level_start, 0)
            ELSE 0 END AS added_at_start,
        CASE WHEN missing_at IS NULL THEN 0
            WHEN counter_basis = 'interval' THEN NULL
            WHEN visit_at_start THEN added - greatest(standard_fill - level_start, 0)
            ELSE added END AS added_unseen
    FROM iv
),
flags AS MATERIALIZED (
    SELECT
        *,
        coalesce(added_at_start > 0, false) AS refilled_at_start,
        coalesce(added_unseen > 0, counter_basis = 'interval' AND level_end > level_start, false)
            AS refilled_unseen,
        coalesce(added_at_start > 0 OR added_unseen > 0, false)
            OR coalesce(added_unseen IS NULL AND level_end > level_start, false) AS refilled,
        -- the first refill in the interval ends an episode open at its start
        CASE WHEN added_at_start > 0 THEN period_start ELSE missing_at END AS first_refill_at,
        -- sold out and refilled from empty at an unreceived visit (a refill adds standard fill
        -- minus the level it finds): its PA5 went with that read
        coalesce(added_unseen = standard_fill AND level_start + added_at_start > 0, false)
            AS hidden
    FROM split
),
-- the machine's demand clock: one EM step from flat spreads each interval's units (all
-- selections) over its hours; a cell of the hour-of-week gets the units it received per hour
-- observed, shrunk with 4 pseudo-hours of the machine's mean rate; `rel` is the cell's rate
-- over the mean, and `cum_before` the demand hours (sum of rel) of the machine before the hour
machine_iv AS (
    SELECT machine_serial, read_id_end, any_value(period_start) AS period_start,
        any_value(period_end) AS period_end, sum(units_sold) AS units
    FROM fct_slot_sales
    WHERE period_end > period_start
    GROUP BY machine_serial, read_id_end
),
pieces AS (
    SELECT
        machine_serial, read_id_end, hour_start,
        (epoch(least(hour_start + INTERVAL 1 HOUR, period_end)) - epoch(greatest(hour_start,
            period_start))) / 3600.0 AS piece_hours,
        units / ((epoch(period_end) - epoch(period_start)) / 3600.0) AS units_per_hour
    FROM (
        SELECT *, unnest(generate_series(date_trunc('hour', period_start),
            period_end - INTERVAL 1 MICROSECOND, INTERVAL 1 HOUR)) AS hour_start
        FROM machine_iv
    )
),
mean_rate AS (
    SELECT machine_serial, sum(units_per_hour * piece_hours) / sum(piece_hours) AS rate
    FROM pieces
    GROUP BY ALL
),
cells AS (
    SELECT
        c.machine_serial, c.dow, c.hr,
        CASE WHEN m.rate > 0 THEN (c.units + 4 * m.rate) / (c.hours + 4) / m.rate ELSE 1 END
            AS rel
    FROM (
        SELECT machine_serial, isodow(hour_start) AS dow, hour(hour_start) AS hr,
            sum(units_per_hour * piece_hours) AS units, sum(piece_hours) AS hours
        FROM pieces
        GROUP BY ALL
    ) AS c
    JOIN mean_rate AS m USING (machine_serial)
),
clock AS MATERIALIZED (
    SELECT
        h.machine_serial, h.hour_start, c.rel,
        coalesce(sum(c.rel) OVER (PARTITION BY h.machine_serial ORDER BY h.hour_start
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum_before
    FROM (SELECT DISTINCT machine_serial, hour_start FROM pieces) AS h
    JOIN cells AS c
        ON c.machine_serial = h.machine_serial AND c.dow = isodow(h.hour_start)
        AND c.hr = hour(h.hour_start)
),
exposure AS (
    -- demand hours of every interval: its pieces' hours times their cells' rel
    SELECT p.machine_serial, p.read_id_end, sum(p.piece_hours * c.rel) AS demand_hours
    FROM pieces AS p
    JOIN cells AS c
        ON c.machine_serial = p.machine_serial AND c.dow = isodow(p.hour_start)
        AND c.hr = hour(p.hour_start)
    GROUP BY ALL
),
rates AS (
    -- the slot's demand per demand hour over the intervals whose demand is all known: units
    -- sold plus, after a sell-out, PA503's customers (leaving out the intervals that ended
    -- sold out would keep only the slow ones); not those sold out for a time nothing counts
    SELECT f.machine_serial, f.selection_key,
        sum(f.units_sold + coalesce(f.sold_out_count, 0)) / nullif(sum(e.demand_hours), 0)
            AS units_per_hour
    FROM flags AS f
    JOIN exposure AS e USING (machine_serial, read_id_end)
    WHERE NOT f.hidden
      AND NOT (coalesce(f.level_end, 1) = 0 AND f.sold_out_count IS NULL)
      -- empty at the start read and not refilled there
      AND NOT (f.level_start = 0 AND NOT f.refilled_at_start)
    GROUP BY ALL
),
iv_rated AS MATERIALIZED (
    SELECT f.*, coalesce(ra.units_per_hour, 0) AS units_per_hour
    FROM flags AS f
    LEFT JOIN rates AS ra USING (machine_serial, selection_key)
),
seen AS (
    -- an interval that ends sold out, unless the slot was already empty at its start and
    -- nothing was added (the same episode goes on; so does a PA5 repeated unchanged)
    SELECT
        i.*,
        -- sold down from the last refill inside the interval, else from the start read
        CASE WHEN i.refilled_unseen THEN i.missing_at ELSE i.period_start END AS window_from,
        CASE WHEN i.refilled_unseen THEN i.standard_fill
            ELSE i.level_start + i.added_at_start END AS units_to_sell
    FROM iv_rated AS i
    LEFT JOIN flags AS p
        ON p.machine_serial = i.machine_serial AND p.selection_key = i.selection_key
        AND p.read_id_end = i.read_id_start
    WHERE (i.level_end = 0 OR i.sold_out_at IS NOT NULL)
      AND NOT (i.level_start = 0 AND NOT i.refilled)
      AND NOT (i.sold_out_at IS NOT NULL AND i.sold_out_at IS NOT DISTINCT FROM p.sold_out_at)
      AND (i.level_start IS NOT NULL OR i.sold_out_at IS NOT NULL OR i.units_sold > 0)
),
starts AS MATERIALIZED (
    SELECT
        'seen' AS kind, machine_serial, selection_key, selection, product_id, read_id_end,
        CASE WHEN sold_out_at IS NOT NULL THEN sold_out_at ELSE window_from END AS start_after,
        CASE WHEN sold_out_at IS NOT NULL THEN sold_out_at ELSE period_end END AS start_before,
        sold_out_at, units_to_sell, units_per_hour, NULL::TIMESTAMP AS end_at,
        period_end AS first_until, sold_out_count
    FROM seen
    UNION ALL
    -- sold out and refilled at a visit whose read we never received
    SELECT
        'hidden', machine_serial, selection_key, selection, product_start, read_id_end,
        period_start, missing_at, NULL, level_start + added_at_start, units_per_hour,
        missing_at, missing_at, NULL
    FROM iv_rated
    WHERE hidden
),
windows AS (
    -- an estimated start: the window's demand hours (C at both ends)
    SELECT
        s.*, w.c_from, w.c_to
    FROM starts AS s
    JOIN (
        SELECT p.machine_serial, p.selection_key, p.read_id_end, p.kind,
            sum(CASE WHEN p.sign < 0 THEN c.cum_before + c.rel * (epoch(p.t)
                - epoch(c.hour_start)) / 3600.0 END) AS c_from,
            sum(CASE WHEN p.sign > 0 THEN c.cum_before + c.rel * (epoch(p.t)
                - epoch(c.hour_start)) / 3600.0 END) AS c_to
        FROM (
            SELECT machine_serial, selection_key, read_id_end, kind, start_after AS t, -1 AS sign
            FROM starts WHERE sold_out_at IS NULL AND start_before > start_after
            UNION ALL
            SELECT machine_serial, selection_key, read_id_end, kind, start_before, 1
            FROM starts WHERE sold_out_at IS NULL AND start_before > start_after
        ) AS p
        ASOF JOIN clock AS c ON c.machine_serial = p.machine_serial AND c.hour_start <= p.t
        GROUP BY ALL
    ) AS w USING (machine_serial, selection_key, read_id_end, kind)
),
targets AS (
    -- the sell-out is the k-th sale, Gamma(k, rate) in demand hours, known to fall inside the
    -- window (U demand hours): its mean given that, (k/rate) P(k+1, rate U) / P(k, rate U)
    -- (P: the regularized lower incomplete gamma); without a rate, k/(k+1) of the window
    SELECT
        *,
        c_from + coalesce(
            CASE WHEN gamma_k > 1e-9 THEN k / units_per_hour * gamma_k1 / gamma_k END,
            (c_to - c_from) * k / (k + 1.0)
        ) AS target
    FROM (
        SELECT
            *,
            1 - list_sum([exp(-x + j * ln(x) - lgamma(j + 1)) for j in range(0, k)]) AS gamma_k,
            1 - list_sum([exp(-x + j * ln(x) - lgamma(j + 1)) for j in range(0, k + 1)])
                AS gamma_k1
        FROM (
            SELECT *, greatest(coalesce(units_to_sell, 1), 1)::INTEGER AS k,
                CASE WHEN units_per_hour > 0 AND c_to > c_from
                    THEN units_per_hour * (c_to - c_from) END AS x
            FROM windows
        )
    )
),
estimated AS (
    SELECT
        t.machine_serial, t.selection_key, t.read_id_end, t.kind,
        least(greatest(
            c.hour_start + to_microseconds(CAST((t.target - c.cum_before) / c.rel * 3.6e9
                AS BIGINT)),
            t.start_after), t.start_before) AS start_at
    FROM targets AS t
    ASOF JOIN clock AS c
        ON c.machine_serial = t.machine_serial AND c.cum_before <= t.target
),
placed AS MATERIALIZED (
    SELECT
        s.*,
        -- a window the device clock was set back in has no order: its end read's time
        coalesce(s.sold_out_at, e.start_at, s.start_before) AS start_at,
        CASE WHEN s.sold_out_at IS NOT NULL THEN 'PA5' ELSE 'estimated' END AS start_source,
        s.machine_serial || '|' || s.selection_key || '|' || s.read_id_end || '|' || s.kind
            AS episode_id
    FROM starts AS s
    LEFT JOIN estimated AS e USING (machine_serial, selection_key, read_id_end, kind)
),
walk AS (
    -- the intervals after a seen episode's own, up to the first one that refilled the slot:
    -- each gives the stretch it was sold out without a PA503 count (a refilling interval was
    -- sold out only until its refill; its PA503 belongs to what came after)
    SELECT p.episode_id, p.machine_serial, p.selection_key, p.read_id_end AS cursor,
        false AS done, NULL::TIMESTAMP AS refill_at, NULL::TIMESTAMP AS period_end,
        0::BIGINT AS counted, NULL::TIMESTAMP AS gap_from, NULL::TIMESTAMP AS gap_to
    FROM placed AS p
    WHERE p.kind = 'seen'
    UNION ALL
    SELECT
        w.episode_id, w.machine_serial, w.selection_key, n.read_id_end, n.refilled,
        n.first_refill_at, n.period_end,
        CASE WHEN NOT n.refilled THEN coalesce(n.sold_out_count, 0) ELSE 0 END,
        n.period_start,
        CASE WHEN n.refilled THEN n.first_refill_at
            WHEN n.sold_out_count IS NULL THEN n.period_end ELSE n.period_start END
    FROM walk AS w
    JOIN iv_rated AS n
        ON n.machine_serial = w.machine_serial AND n.selection_key = w.selection_key
        AND n.read_id_start = w.cursor
    WHERE NOT w.done
),
walked AS (
    SELECT
        episode_id,
        max(refill_at) FILTER (WHERE done) AS end_at,
        max(period_end) AS last_read_at,
        sum(counted) AS counted
    FROM walk
    GROUP BY ALL
),
gaps AS (
    -- every stretch of an episode that no PA503 counts: the first (sell-out to its read, or
    -- to the unreceived refill) and the walked ones
    SELECT episode_id, machine_serial, start_at AS gap_from, first_until AS gap_to
    FROM placed
    WHERE sold_out_count IS NULL AND first_until > start_at
    UNION ALL
    SELECT episode_id, machine_serial, gap_from, gap_to
    FROM walk
    WHERE gap_to > gap_from
),
gap_hours AS (
    SELECT
        p.episode_id,
        sum(p.sign * epoch(p.t)) / 60.0 AS minutes,
        sum(p.sign * (c.cum_before + c.rel * (epoch(p.t) - epoch(c.hour_start)) / 3600.0))
            AS demand_hours
    FROM (
        SELECT episode_id, machine_serial, gap_from AS t, -1 AS sign FROM gaps
        UNION ALL
        SELECT episode_id, machine_serial, gap_to, 1 FROM gaps
    ) AS p
    ASOF JOIN clock AS c ON c.machine_serial = p.machine_serial AND c.hour_start <= p.t
    GROUP BY ALL
),
episodes AS (
    SELECT
        p.*,
        coalesce(p.end_at, w.end_at) AS ended_at,
        coalesce(p.end_at, w.end_at, w.last_read_at, p.first_until) AS until_at,
        -- the episode's first interval: PA503 counts from the sell-out to its end read
        coalesce(p.sold_out_count, 0) + coalesce(w.counted, 0) AS counted_lost_units,
        coalesce(g.minutes, 0) AS uncounted_minutes,
        coalesce(g.demand_hours, 0) AS uncounted_demand_hours
    FROM placed AS p
    LEFT JOIN walked AS w USING (episode_id)
    LEFT JOIN gap_hours AS g USING (episode_id)
)
SELECT
    machine_serial,
    selection,
    selection_key,
    product_id,
    start_at,
    start_source,
    CASE WHEN start_after <= start_before THEN start_after END AS start_after,
    start_before,
    ended_at AS end_at,
    ended_at IS NULL AS ongoing,
    round(date_diff('second', start_at, until_at) / 60.0, 1) AS duration_minutes,
    round(counted_lost_units + units_per_hour * uncounted_demand_hours, 2) AS est_lost_units,
    CAST(counted_lost_units AS BIGINT) AS counted_lost_units,
    round(uncounted_minutes, 1) AS uncounted_minutes,
    units_per_hour AS demand_units_per_hour,
    read_id_end AS read_id_detected
FROM episodes
