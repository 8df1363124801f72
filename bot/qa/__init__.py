"""The offline core: the knowledge base's schema and YAML folder, the chat-Indonesian normaliser, the
matcher, and the engine that puts them together (used alike by `main.py ask` and the bot)."""
