-- months_to_rebuild: for the machines of a scoped run, the intervals whose fct_slot_sales rows
-- can differ from the stored ones, as their end read and end month: the pairs in the chain now
-- (`chain_now`, the chain_pairs model over the machines' reads) and not in the chain the stored
-- months were built from (`chain_before`), and the reverse, and the pairs, then or now, with a
-- read whose raw rows changed (`changed_ids`, from `changed_rows`). Any other pair has the same two reads with the
-- same rows, so its interval is what is stored. An end read of a pair that went has no
-- interval now: its stored rows go.
WITH
changed_ids AS (
    -- the reads in the changed raw partitions (old and new versions), as
    -- transforms/touched.py's changed_machines left them
    SELECT DISTINCT read_id FROM changed_rows WHERE read_id IS NOT NULL
),
now_pairs AS (
    SELECT machine_serial, read_id_end, coalesce(read_id_start, '') AS read_id_start, end_month
    FROM chain_now
),
before_pairs AS (
    SELECT machine_serial, read_id_end, coalesce(read_id_start, '') AS read_id_start, end_month
    FROM chain_before
),
moved AS (
    (SELECT * FROM now_pairs EXCEPT SELECT * FROM before_pairs)
    UNION ALL
    (SELECT * FROM before_pairs EXCEPT SELECT * FROM now_pairs)
),
either_pairs AS (
    SELECT * FROM now_pairs UNION ALL SELECT * FROM before_pairs
),
touching AS (
    -- two equality joins, not one on `IN (a, b)`: that is a nested loop
    SELECT pairs.* FROM either_pairs AS pairs
    JOIN changed_ids AS changed ON changed.read_id = pairs.read_id_end
    UNION ALL
    SELECT pairs.* FROM either_pairs AS pairs
    JOIN changed_ids AS changed ON changed.read_id = pairs.read_id_start
)
SELECT DISTINCT machine_serial, end_month, read_id_end
FROM (SELECT * FROM moved UNION ALL SELECT * FROM touching)
WHERE end_month IS NOT NULL
ORDER BY ALL
