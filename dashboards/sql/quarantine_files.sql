-- params: limit=100 offset=0
-- A page of quarantined files and reads with their reasons, newest first.
SELECT sha256, original_name, read_index, reason, message, quarantined_at
FROM quarantine
ORDER BY quarantined_at DESC, sha256, read_index NULLS FIRST
LIMIT $limit OFFSET $offset
