-- Files quarantined for a CRC mismatch that arrived since $since (UTC). The route is the one of
-- the machine whose serial starts the file's name (handhelds name files <serial>_<time>).
SELECT
    q.sha256,
    any_value(q.original_name) AS original_name,
    count(*) AS reads,
    min(q.quarantined_at) AS quarantined_at,
    any_value(d.dex_serial) AS machine_serial,
    any_value(d.route_id) AS route_id
FROM quarantine AS q
LEFT JOIN devices AS d
    ON starts_with(regexp_extract(q.original_name, '[^/]*$'), d.dex_serial || '_')
WHERE q.reason = 'crc_mismatch' AND q.quarantined_at >= $since
GROUP BY q.sha256
ORDER BY q.sha256
