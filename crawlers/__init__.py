"""Collection: aiohttp pollers for public APIs and feeds, Scrapy spiders for sites.

Imports only the kernel (trendwatch.models/config/errors/registry/metrics/timeutil).
"""
