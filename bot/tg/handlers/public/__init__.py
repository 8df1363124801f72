"""What everyone uses: questions, browsing, inline mode, /start, /help, /bahasa."""
