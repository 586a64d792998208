-- Every archived content a ledger snapshot references (each delivery's bytes), with its size.
SELECT sha256, max(size) FROM deliveries GROUP BY sha256 ORDER BY sha256
