"""Cash accountability: the collections snapshot and the cash marts."""
