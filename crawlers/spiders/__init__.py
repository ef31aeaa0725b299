"""Scrapy spiders: the `telegram` and `website` sources.

Scrapy keeps its own process (Twisted's reactor installs once per process), so a spider source
runs each round in a child interpreter and reads its items back:

    Source.fetch(cursor) ──CrawlSpec (stdin)──▶ python -m crawlers.spiders.run
         ▲                                          Scrapy: spider → ProtocolPipeline
         └────── JSON lines (stdout): ChannelPage / Article / Passed / Problem / Summary

Modules: `options` (typed options), `sources` (the Source classes), `child` (running and reading
the child), `protocol` + `items` (the wire), `run` + `settings` + `pipeline` + `middleware` (the
child's Scrapy side), `telegram`/`website` (pure page reading and `to_post`), their `*_spider`s,
and small helpers (`html_text`, `selectors`, `problems`; numbers and times in `crawlers.values`).
"""
