"""Anonymous tips: the report form's data, receipt codes, dates, evidence, and the service that ties them.

Nothing in this package knows Telegram; bot/tg/handlers/tips/report.py and bot/tg/handlers/tips/status.py drive it.
"""
