"""Alert rules: what to alert on, evaluated on the warehouse (read-only) and run records."""
