-- The catalog the candidates come from.
SELECT product_id, name, category, size, price_cents, cost_cents
FROM products
WHERE category IS NOT NULL AND size IN ('S', 'M', 'L')
ORDER BY product_id
