-- chain_pairs: every interval fct_slot_sales can have, as the pair of reads it runs between and
-- the month it is filed under (its end read's, machine clock), one row per placeable read (the
-- first read of a machine has no start). An interval's rows are computed from its two reads
-- alone, so between two builds the months whose rows can differ are those where a pair appears
-- or goes, and those of the pairs with a read whose raw rows changed (transforms/marts.py).
WITH {read_chain}
SELECT
    machine_serial,
    read_id AS read_id_end,
    lag(read_id) OVER (PARTITION BY machine_serial ORDER BY chain_n) AS read_id_start,
    strftime(read_at, '%Y-%m') AS end_month
FROM placed
