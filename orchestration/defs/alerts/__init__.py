"""Alerts: evaluate the rules after the warehouse and every hour, mail subscribers, daily digest."""
