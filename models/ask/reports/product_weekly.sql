-- Weekly units and revenue of the products whose name contains $product.
SELECT week_start, product_id, product_name, units_sold, round(revenue, 2) AS revenue, machines
FROM sales_by_product_week
WHERE product_name ILIKE '%' || $product || '%' OR product_id = $product
ORDER BY product_id, week_start
