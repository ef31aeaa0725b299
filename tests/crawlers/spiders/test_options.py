"""Spider source options as a user writes them in YAML: normalised, or refused with key and line."""

from __future__ import annotations

import pytest

from crawlers.plugins import SOURCES
from crawlers.spiders.options import SiteOptions, TelegramOptions, WebsiteOptions, channel_name
from trendwatch.config import Settings, parse_config
from trendwatch.errors import ConfigError


def load(sources_yaml: str) -> Settings:
    return parse_config(f"brand: {{name: Digikala}}\nsources:\n{sources_yaml}", registries={"sources": SOURCES})


def issues(sources_yaml: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(sources_yaml)
    return [str(issue) for issue in caught.value.issues]


def test_spider_types_are_registered() -> None:
    assert SOURCES.get("telegram").Options is TelegramOptions
    assert SOURCES.get("website").Options is WebsiteOptions
    assert "Telegram" in SOURCES.describe("telegram")
    assert "selectors" in SOURCES.describe("website")


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("durov", "durov"),
        ("@Durov", "durov"),
        ("https://t.me/durov", "durov"),
        ("https://t.me/s/durov/", "durov"),
        ("t.me/digikala_news", "digikala_news"),
    ],
)
def test_channel_names_are_normalised(written: str, name: str) -> None:
    assert channel_name(written) == name


def test_a_telegram_source_as_written() -> None:
    settings = load(
        """
  - type: telegram
    name: fa-channels
    channels: ["@Digikala_News", "https://t.me/s/torob_com"]
    backfill: 3d
    interval: 10m
    base_url: http://127.0.0.1:8080/
"""
    )
    options = settings.sources[0].options
    assert options.channels == ["digikala_news", "torob_com"]
    assert options.backfill.days == 3
    assert options.interval.total_seconds() == 600
    assert options.base_url == "http://127.0.0.1:8080"


def test_telegram_mistakes_name_the_key_and_line() -> None:
    found = issues(
        """
  - type: telegram
    channels: [durov, "not a channel!", durov]
    backfil: 2d
    base_url: ftp://x
"""
    )
    assert sorted(found) == [
        "line 5, sources[0].channels[1]: 'not a channel!' is not a public channel username "
        "(5-32 letters, digits or _; e.g. 'durov' or 'https://t.me/durov')",
        "line 6, sources[0].backfil: unknown key (check the spelling; see deploy/config.example.yaml)",
        "line 7, sources[0].base_url: 'ftp://x' is not an http(s) URL",
    ]


def test_duplicate_channels_are_refused() -> None:
    assert any("channel listed twice: durov" in i for i in issues("  - {type: telegram, channels: [durov, '@Durov']}"))


def test_a_website_source_as_written() -> None:
    settings = load(
        """
  - type: website
    name: news
    sites:
      - name: zoomit
        start_urls: [https://www.zoomit.ir/archive/]
        item_url_pattern: /\\d+-
        selectors:
          item_links: "article h3 a::attr(href)"
          next_page: "xpath://a[@rel='next']/@href"
          text: ".article-body p"
          time: "time::attr(datetime)"
          author: ".author-name"
        language: fa
        download_delay: 2s
      - name: blog
        sitemap_urls: [https://blog.example/sitemap.xml]
        time_format: "%d/%m/%Y"
        calendar: jalali
        timezone: Asia/Tehran
"""
    )
    options = settings.sources[0].options
    zoomit, blog = options.sites
    assert zoomit.selectors.next_page == "xpath://a[@rel='next']/@href"
    assert zoomit.selectors.title == "h1"  # a default
    assert zoomit.download_delay.total_seconds() == 2
    assert blog.calendar == "jalali"
    assert options.remember == 5000


def test_website_mistakes_name_the_key() -> None:
    found = issues(
        """
  - type: website
    sites:
      - name: Bad Name
        start_urls: [https://a.example/]
        selectors: {title: "h1[[", text: "xpath://div["}
        item_url_pattern: "(unclosed"
        timezone: Mars/Olympus
        time_format: dd/mm/yyyy
      - name: nowhere
"""
    )
    by_key = dict(issue.split(", ", 1)[1].split(": ", 1) for issue in found)
    assert set(by_key) == {
        "sources[0].sites[0].name",
        "sources[0].sites[0].selectors.title",
        "sources[0].sites[0].selectors.text",
        "sources[0].sites[0].item_url_pattern",
        "sources[0].sites[0].timezone",
        "sources[0].sites[0].time_format",
        "sources[0].sites[1]",
    }
    assert "is not a site name" in by_key["sources[0].sites[0].name"]
    assert "not a valid CSS selector" in by_key["sources[0].sites[0].selectors.title"]
    assert "not a valid XPath" in by_key["sources[0].sites[0].selectors.text"]
    assert "not a valid regular expression" in by_key["sources[0].sites[0].item_url_pattern"]
    assert "unknown time zone" in by_key["sources[0].sites[0].timezone"]
    assert "neither 'iso' nor a strptime format" in by_key["sources[0].sites[0].time_format"]
    assert "needs start_urls (list pages) or sitemap_urls" in by_key["sources[0].sites[1]"]


def test_two_sites_with_one_name_are_refused() -> None:
    site = {"name": "a", "start_urls": ["https://a.example/"]}
    with pytest.raises(ValueError, match="two sites are named a"):
        WebsiteOptions(sites=[SiteOptions(**site), SiteOptions(**site)])


def test_defaults_build() -> None:
    telegram = TelegramOptions()
    assert telegram.channels == []
    assert telegram.base_url == "https://t.me"
    assert telegram.backfill.days == 7
    assert WebsiteOptions().sites == []
