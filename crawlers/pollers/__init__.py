"""aiohttp pollers, one module per platform, over a few shared helpers.

- `base`: options every poller has, queries run side by side, the cursor, error accounting;
- `timeline`: paging a newest-first API without losing or repeating a post;
- `raw`: typed reads of raw payloads, HTML to text, hashtags/mentions/links, timestamps;
- one module per platform: its `Options`, its source class and a pure `to_post(raw)`.
"""
