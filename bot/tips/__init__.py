"""Anonymous tips: the report form's data, receipt codes, dates, evidence, and the service that ties them.

Nothing in this package knows Telegram; bot/handlers/report.py and bot/handlers/status.py drive it.
"""
