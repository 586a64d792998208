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
-- Each step is a file of CTEs in stockouts/, put in place of its {stockouts/...} placeholder by
-- transforms/marts.py (model_sql), in the order below: each reads the ones before it.
WITH {read_chain},
{stockouts/01_slot_intervals},
{stockouts/02_refills},
{stockouts/03_demand_clock},
{stockouts/04_slot_rates},
{stockouts/05_episode_starts},
{stockouts/06_start_estimates},
{stockouts/07_episode_ends},
{stockouts/08_uncounted_demand},
episodes AS (
    SELECT
        placed.*,
        coalesce(placed.end_at, walked.end_at) AS ended_at,
        coalesce(placed.end_at, walked.end_at, walked.last_read_at, placed.first_until) AS until_at,
        -- the episode's first interval: PA503 counts from the sell-out to its end read
        coalesce(placed.sold_out_count, 0) + coalesce(walked.counted, 0) AS counted_lost_units,
        coalesce(uncounted.minutes, 0) AS uncounted_minutes,
        coalesce(uncounted.demand_hours, 0) AS uncounted_demand_hours
    FROM placed_episodes AS placed
    LEFT JOIN walk_totals AS walked USING (episode_id)
    LEFT JOIN uncounted_hours AS uncounted USING (episode_id)
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
