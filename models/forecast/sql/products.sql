-- Product categories (new products borrow from their category).
SELECT product_id, category FROM products
