-- params:
-- Filter choices for the Sales page, from master data: products, categories, machines,
-- locations, routes.
SELECT 'product' AS kind, product_id AS value, name AS label FROM products
UNION ALL SELECT DISTINCT 'category', category, category FROM products WHERE category IS NOT NULL
UNION ALL SELECT 'machine', dex_serial, coalesce(asset_number, dex_serial) FROM devices
UNION ALL SELECT 'location', location_id, name FROM locations
UNION ALL SELECT 'route', route_id, name FROM routes
ORDER BY kind, label
