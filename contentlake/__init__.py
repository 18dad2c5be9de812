"""The local content lake: Sanity's HTTP API (query, mutate, doc, assets, webhooks) over a
SQLite file and our own GROQ engine, so the shop runs and is tested with no Sanity account."""
