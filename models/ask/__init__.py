"""Ask CVD: a question in plain language answered by one read-only SQL query on the warehouse.

``guard`` decides whether a query may run, ``runner`` runs it sandboxed, ``schema`` gives the
model the documented views a role may see, ``prompt`` and ``answer`` talk to Claude, ``reports``
holds the saved questions that work without it, and ``assistant`` ties them together.
"""
