"""The exchange's pages, by concern."""
