"""The LLM layer: the embedded llama.cpp model or any OpenAI-compatible endpoint, both as
LangChain chat models. `provider.get_chat_model(settings)` picks one from the settings."""
