"""Reading t.me/s pages and mapping messages: our own Persian page, and the recorded real pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawlers.spiders.telegram import Page, parse_page, to_post
from crawlers.values import parse_count
from tests.conftest import shared_path
from trendwatch.errors import BadPayload, DropPost
from trendwatch.models import Post

FIXTURES = Path(__file__).parent / "fixtures"
ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("1.2K", 1200),
        ("33.4K", 33400),
        ("226.2K", 226200),
        ("4.85K", 4850),
        ("1.5M", 1_500_000),
        ("2B", 2_000_000_000),
        ("987", 987),
        ("1,234", 1234),
        ("۱.۲K", 1200),
        ("۳۴۵", 345),
        ("١٢٣", 123),
        ("12.5k", 12500),
        (" 2K ", 2000),
        (None, None),
        ("", None),
        ("many", None),
        ("1.2.3K", None),
    ],
)
def test_parse_count(text: str | None, count: int | None) -> None:
    assert parse_count(text) == count


# --------------------------------------------------------------------------- our Persian page


@pytest.fixture(scope="module")
def fa_page() -> Page:
    return parse_page((FIXTURES / "telegram_fa_channel.html").read_text(encoding="utf-8"))


def _raw(page: Page, message_id: int) -> dict[str, Any]:
    message = next(m for m in page.messages if m.id == message_id)
    return {
        "source": "tg-fa",
        "channel": "digikala_news",
        "html": message.html,
        "channel_title": page.title,
        "subscribers": page.subscribers,
        "fetched_at": "2026-11-21T00:00:00+00:00",
    }


def test_page_facts(fa_page: Page) -> None:
    assert fa_page.is_channel
    assert [m.id for m in fa_page.messages] == [1201, 1202, 1203, 1204, 1205, 1206, 1207]
    assert fa_page.before == 1201
    assert fa_page.title == f"دیجی{ZWNJ}کالا | اخبار"
    assert fa_page.subscribers == "345K"
    assert fa_page.malformed == ()
    assert fa_page.messages[2].time == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)  # +03:30 read as UTC


def test_raw_html_drops_decoration_but_keeps_the_message(fa_page: Page) -> None:
    html = fa_page.messages[0].html
    assert "<svg" not in html
    assert "avatar-digikala" not in html
    assert 'data-post="digikala_news/1201"' in html
    assert "tgme_widget_message_views" in html


def test_persian_message_with_hashtags_mentions_links(fa_page: Page) -> None:
    post = to_post(_raw(fa_page, 1201))
    assert post.id == "telegram:digikala_news/1201"
    assert post.platform == "telegram"
    assert post.source == "tg-fa"
    assert post.text == (
        f"حراج بزرگ #دیجی_کالا شروع شد! گوشی{ZWNJ}های هوشمند تا ۳۰٪ ارزان{ZWNJ}تر #تخفیف\n\n"
        "مقایسه قیمت با @torob_com: digikala.com/landing/big-sale"
    )
    assert ZWNJ in post.text
    assert post.hashtags == ("دیجی_کالا", "تخفیف")
    assert post.mentions == ("torob_com",)
    assert post.links == ("https://www.digikala.com/landing/big-sale/",)
    assert post.created_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert post.url == "https://t.me/digikala_news/1201"
    assert post.engagement.views == 12500
    assert post.engagement.likes is None  # the preview does not say
    assert post.engagement.reposts is None
    assert post.author is not None
    assert post.author.id == "digikala_news"
    assert post.author.handle == "digikala_news"
    assert post.author.name == f"دیجی{ZWNJ}کالا | اخبار"
    assert post.author.followers == 345_000
    assert post.edited_at is None
    assert post.reply_to is None
    assert post.lang is None
    assert post.raw["html"].startswith('<div class="tgme_widget_message')


def test_edited_reply_with_persian_digit_views(fa_page: Page) -> None:
    post = to_post(_raw(fa_page, 1202))
    assert post.text == f"به{ZWNJ}روزرسانی: ارسال رایگان برای سفارش{ZWNJ}های بالای ۵۰۰ هزار تومان"
    assert "حراج بزرگ" not in post.text  # the quoted reply is not the message's text
    assert post.edited_at == datetime(2026, 11, 21, tzinfo=UTC)  # when the "edited" mark was seen
    assert post.reply_to == "telegram:digikala_news/1201"
    assert post.engagement.views == 345


def test_forwarded_message_names_its_origin(fa_page: Page) -> None:
    post = to_post(_raw(fa_page, 1203))
    assert post.mentions == ("torob_com",)
    assert post.links == ("https://t.me/torob_com/877",)
    assert post.hashtags == ("آیفون",)
    assert post.raw["html"].count("Forwarded from") == 1
    assert post.engagement.views == 1_200_000
    assert post.created_at == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
    assert post.created_at.tzinfo is UTC


@pytest.mark.parametrize(("message_id", "reason"), [(1204, "no_text"), (1205, "service_message")])
def test_messages_without_text_are_dropped_with_a_reason(fa_page: Page, message_id: int, reason: str) -> None:
    with pytest.raises(DropPost) as caught:
        to_post(_raw(fa_page, message_id))
    assert caught.value.reason == reason


def test_emoji_and_link_preview(fa_page: Page) -> None:
    post = to_post(_raw(fa_page, 1206))
    assert post.text == f"🔥 فقط امروز: لپ{ZWNJ}تاپ{ZWNJ}ها با ۵۰٪ تخفیف"
    assert post.links == ("https://www.digikala.com/search/category-notebook/",)
    assert post.engagement.views == 4850


def test_album_caption_is_read_once(fa_page: Page) -> None:
    post = to_post(_raw(fa_page, 1207))
    assert post.text == "آلبوم محصولات جدید #دیجی_کالا"
    assert post.hashtags == ("دیجی_کالا",)


def test_mapping_is_pure(fa_page: Page) -> None:
    raw = _raw(fa_page, 1201)
    assert to_post(raw) == to_post(dict(raw))


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ({"channel": "x"}, "no html"),
        ({"html": "<p>hello</p>"}, "no .tgme_widget_message"),
        ({"html": '<div class="tgme_widget_message" data-post="chan/abc"></div>'}, "not <channel>/<id>"),
        (
            {"html": '<div class="tgme_widget_message" data-post="c/12"><p class="tgme_widget_message_text">hi</p>'},
            "no readable time",
        ),
        (
            {
                "html": '<div class="tgme_widget_message" data-post="chan/12"><a class="tgme_widget_message_date">'
                '<time datetime="yesterday">x</time></a></div>'
            },
            "no readable time",
        ),
    ],
)
def test_malformed_messages_are_bad_payloads(raw: dict[str, Any], detail: str) -> None:
    with pytest.raises(BadPayload) as caught:
        to_post(raw)
    assert caught.value.reason == "malformed_message"
    assert detail in str(caught.value)


def test_a_page_without_channel_history_is_not_a_channel() -> None:
    page = parse_page("<html><body><div class='tgme_page'>If you have Telegram, you can contact @x</div></body></html>")
    assert not page.is_channel


def test_a_message_without_numeric_id_is_reported_not_kept() -> None:
    html = (
        '<section class="tgme_channel_history"><div class="tgme_widget_message" data-post="chan/oops"></div>'
        '<div class="tgme_widget_message" data-post="chan/7"><a class="tgme_widget_message_date">'
        '<time datetime="2026-01-01T00:00:00+00:00"></time></a></div></section>'
    )
    page = parse_page(html)
    assert [m.id for m in page.messages] == [7]
    assert len(page.malformed) == 1
    assert "chan/oops" in page.malformed[0]


# --------------------------------------------------------------------------- recorded real pages


def _shared(name: str) -> str:
    return shared_path("fixtures", "telegram", name).read_text(encoding="utf-8")


def _map_fragment(name: str) -> Post:
    page = parse_page(f'<section class="tgme_channel_history">{_shared(name)}</section>')
    assert len(page.messages) == 1
    return to_post({"channel": "x", "html": page.messages[0].html})


def test_real_text_message() -> None:
    post = _map_fragment("message_text.html")
    assert post.id == "telegram:topwar_official/70991"
    assert post.created_at == datetime(2023, 2, 28, 8, 48, 1, tzinfo=UTC)
    assert post.engagement.views == 33_400
    assert post.author is not None
    assert post.author.name == "Военное обозрение"
    assert post.author.handle == "topwar_official"
    assert post.text.startswith(
        "Неопознанный летающий объект замечен в 160 – 200 км от Петербурга\n\nПо данным «Фонтанки»"
    )
    assert post.text.endswith("«Звуки как на параде».")
    assert "  " not in post.text  # the recording's source indentation is not text
    assert post.url == "https://t.me/topwar_official/70991"


def test_real_link_preview_message() -> None:
    post = _map_fragment("message_link_preview.html")
    assert post.id == "telegram:oper_goblin/22360"
    assert post.created_at == datetime(2023, 2, 27, 7, 33, 14, tzinfo=UTC)
    assert post.engagement.views == 226_200
    assert post.links == ("https://vnnews.ru/georgiy-zotov-okkupaciya-volosatym-kr/",)
    assert post.text == "https://vnnews.ru/georgiy-zotov-okkupaciya-volosatym-kr/"


def test_real_album_message() -> None:
    post = _map_fragment("message_media_photo_and_video.html")
    assert post.id == "telegram:anna_news/46908"
    assert post.created_at == datetime(2023, 2, 28, 6, 48, 36, tzinfo=UTC)
    assert post.engagement.views == 59_500
    # the caption sits in a text block nested in another: it comes out once, line breaks kept
    assert post.text == (
        "Ночью над Белгородом сбили 3 беспилотника\n\nОни упали на улицы города.\n\n"
        "Сообщается, что на себе БПЛА несли взрывчатку из пластида.\n\n#Белгород #Беспилотники\n\n@anna_news"
    )
    assert post.hashtags == ("Белгород", "Беспилотники")
    assert post.mentions == ("anna_news",)


def test_real_full_channel_page() -> None:
    page = parse_page(_shared("t_me_s_full.html"))
    assert page.is_channel
    assert len(page.messages) == 12
    assert page.before == 70989
    assert page.title == "Военное обозрение"
    assert page.subscribers == "109K"
    assert page.malformed == ()
    ids = [m.id for m in page.messages]
    assert ids == sorted(ids)
    assert ids[0] == 70989
    assert ids[-1] == 71008
    raws = [{"channel": "topwar_official", "html": m.html, "subscribers": page.subscribers} for m in page.messages]
    posts = [to_post(raw) for raw in raws]  # every message of this page has a caption
    for post in posts:
        assert post.id.startswith("telegram:topwar_official/")
        assert post.created_at.year == 2023
        assert post.created_at.tzinfo is UTC
        assert post.engagement.views is not None
        assert post.engagement.views > 10_000
        assert post.author is not None
        assert post.author.followers == 109_000
        assert post.text.strip() == post.text
    forwarded = [p for p in posts if "Forwarded from" in p.raw["html"]]
    assert len(forwarded) == 5
    assert {m for p in forwarded for m in p.mentions} == {
        "yaremshooter",
        "Belarus_VPO",
        "vysokygovorit",
        "dimsmirnov175",
        "ImpNavigator",
    }
    grouped = next(p for p in posts if p.native_id == "topwar_official/70992")
    assert grouped.text.count("Сегодня ночью в Республике") == 1
    assert grouped.text.startswith("Сегодня ночью в Республике Адыгея")
