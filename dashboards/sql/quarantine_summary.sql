-- params:
-- How many files and rows (files or reads) are quarantined: pages count from it.
SELECT count(DISTINCT sha256) AS files, count(*) AS rows FROM quarantine
