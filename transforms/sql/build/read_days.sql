-- read_days: for each month (machine clock), the arrival days whose raw partitions hold the
-- reads its intervals are made of: the reads in the month and the read before each of them in
-- its machine's chain (read_chain.sql), which may lie in another month or have arrived on any
-- other day. A read's rows of every raw table are written by the build of the day it arrived
-- on, so a month build of the machines in dex_reads needs only these days' partitions of the
-- wide tables (transforms/read_days.py). `read_files` maps each read to its partition's day.
WITH {read_chain},
chain AS (
    SELECT
        read_id,
        strftime(read_at, '%Y-%m') AS month,
        lag(read_id) OVER (PARTITION BY machine_serial ORDER BY chain_n) AS prev_read_id
    FROM placed
)
-- two equality joins, not one on `IN (a, b)`: that is a nested loop, quadratic in the reads
SELECT chain.month, files.day
FROM chain
JOIN read_files AS files ON files.read_id = chain.read_id
UNION
SELECT chain.month, files.day
FROM chain
JOIN read_files AS files ON files.read_id = chain.prev_read_id
ORDER BY ALL
