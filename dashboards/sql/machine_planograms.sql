-- params: machine_serial=''
-- Every planogram version of the machine's cabinets: when created and in force, slot count.
SELECT cabinet_index, planogram_version, version_created_at, effective_date, valid_from, valid_to,
       is_active,
       count(*) AS slots, count(DISTINCT product_id) AS products
FROM planogram_history
WHERE dex_serial = $machine_serial
GROUP BY ALL
ORDER BY cabinet_index, planogram_version DESC
