"""What users read: rendering the templates, and splitting Telegram HTML below the message limit."""
