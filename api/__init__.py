"""The HTTP API: DEX intake, the read API over the warehouse, health and metrics (an edge)."""
