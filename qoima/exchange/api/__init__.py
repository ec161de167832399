"""The exchange's API, by concern."""
