"""The AI reviewer: Claude reviews the optimiser's planogram proposal and explains it.

Entry point: :func:`models.ai.review.refine`. Whatever goes wrong (no key, switched off, timeout,
overload, refusal, an answer that breaks a rule), the optimiser's proposal stands and its
``ai_status`` says why.
"""
