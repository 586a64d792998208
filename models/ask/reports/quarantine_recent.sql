-- Files and reads quarantined over the last $days days, and why.
WITH today AS (SELECT max(quarantined_at) AS t FROM quarantine)
SELECT reason, count(*) AS files_or_reads, min(quarantined_at) AS first, max(quarantined_at) AS last,
       any_value(original_name) AS example_file
FROM quarantine, today
WHERE quarantined_at > today.t - to_days(CAST($days AS INTEGER))
GROUP BY reason
ORDER BY files_or_reads DESC
