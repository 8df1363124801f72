"""The Telegram adapter, the only package that imports python-telegram-bot: the Application's wiring,
buttons, sending, update processing and rate limits, jobs, and the handlers."""
