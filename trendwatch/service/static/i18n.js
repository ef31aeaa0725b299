// The page's own words in English and Persian (display.language picks one). Values from the
// API (dates, explanations) arrive already written in the configured language and digits.

const WORDS = {
  en: {
    "view.overview": "Overview", "view.compare": "Competitors", "view.brand": "Brand", "view.alerts": "Alerts",
    "filter.range": "Time range", "filter.brand": "Brand", "filter.platform": "Platform", "filter.lang": "Language",
    "filter.all_brands": "all brands", "filter.all_platforms": "all platforms", "filter.all_langs": "all languages",
    "filter.search": "Search", "filter.search_hint": "e.g. delivery NEAR/3 late lang:fa", "filter.go": "Search",
    "filter.clear": "Clear search",
    "range.24h": "last 24 hours", "range.7d": "last 7 days", "range.30d": "last 30 days", "range.90d": "last 90 days",
    "range.custom": "{since} – {until}",
    "token.title": "This trendwatch needs a token",
    "token.help": "Paste the value of web.token from the service's configuration.", "token.use": "Use token",
    "status.loading": "loading…", "status.updated": "updated {time}", "status.error": "error: {error}",
    "query.error": "The search has a problem at character {position}: {error}",
    "posts.title": "Posts", "posts.search_title": "Posts matching the search", "posts.order": "Order",
    "posts.newest": "newest first", "posts.engagement": "most engagement", "posts.more": "More posts",
    "posts.none": "No posts in this window and these filters.", "posts.shown": "{n} shown",
    "posts.open": "open", "posts.likes": "likes", "posts.reposts": "reposts", "posts.replies": "replies",
    "tone.positive": "positive", "tone.neutral": "neutral", "tone.negative": "negative",
    "overview.mentions": "Mentions over time", "overview.share": "Share of voice",
    "overview.net": "Net sentiment per brand (95% interval)", "overview.hashtags": "Top hashtags",
    "overview.topics": "Top topics", "overview.emerging": "Emerging topics and hashtags",
    "overview.alerts": "Alerts", "overview.no_emerging": "Nothing is rising unusually fast in this window.",
    "overview.no_alerts": "No alerts in this window.",
    "kpi.posts": "posts", "kpi.change": "vs previous period", "kpi.share": "share of voice", "kpi.net": "net sentiment",
    "kpi.authors": "unique authors", "kpi.engagement": "engagement", "kpi.new": "new",
    "col.term": "term", "col.kind": "kind", "col.recent_posts": "posts lately",
    "col.recent_authors": "authors lately", "col.when": "started", "col.subject": "subject", "col.rule": "rule",
    "col.status": "status", "col.observed": "observed / expected", "col.severity": "severity",
    "col.author": "author", "col.posts": "posts", "col.engagement": "engagement", "col.net": "net sentiment",
    "col.measure": "", "kind.hashtag": "hashtag", "kind.topic": "topic",
    "compare.table": "Side by side", "compare.volume": "Volume over time", "compare.tone": "Tone",
    "compare.reach": "Posts and unique authors", "compare.complaints": "Complaints", "compare.praise": "Praise",
    "compare.hashtags": "Hashtags", "compare.none": "none in this window",
    "brand.title": "{brand} in depth", "brand.tone_time": "Mentions over time by tone",
    "brand.platforms": "Per platform", "brand.languages": "Per language", "brand.top_posts": "Top posts by engagement",
    "brand.top_authors": "Top authors by engagement", "brand.hashtags": "Hashtags", "brand.topics": "Topics",
    "alerts.open": "open", "alerts.resolved": "resolved", "alerts.by_rule": "By rule", "alerts.status": "Status",
    "alerts.rule": "Rule", "alerts.all": "all", "alerts.all_rules": "all rules", "alerts.none": "No alerts match.",
    "alerts.ack": "Acknowledge", "alerts.acked": "acknowledged {when}", "alerts.mute": "Mute",
    "alerts.unmute": "Unmute", "alerts.muted": "muted until {until}", "alerts.muted_forever": "muted until unmuted",
    "alerts.details": "Details", "alerts.for": "for", "alerts.mute_1h": "1 hour", "alerts.mute_24h": "24 hours",
    "alerts.mute_7d": "7 days", "alerts.mute_forever": "until unmuted", "alerts.started": "started {when}",
    "alerts.last": "last event {when}", "alerts.posts": "Example posts", "alerts.events": "{n} events",
    "severity.critical": "critical", "severity.warning": "warning", "severity.info": "info",
    "legend.positive": "positive", "legend.negative": "negative", "legend.neutral": "neutral",
    "axis.posts": "posts", "axis.authors": "unique authors",
  },
  fa: {
    "view.overview": "نمای کلی", "view.compare": "رقبا", "view.brand": "برند", "view.alerts": "هشدارها",
    "filter.range": "بازهٔ زمانی", "filter.brand": "برند", "filter.platform": "پلتفرم", "filter.lang": "زبان",
    "filter.all_brands": "همهٔ برندها", "filter.all_platforms": "همهٔ پلتفرم‌ها", "filter.all_langs": "همهٔ زبان‌ها",
    "filter.search": "جست‌وجو", "filter.search_hint": "مثلاً ارسال NEAR/3 دیر lang:fa", "filter.go": "جست‌وجو",
    "filter.clear": "پاک کردن جست‌وجو",
    "range.24h": "۲۴ ساعت گذشته", "range.7d": "۷ روز گذشته", "range.30d": "۳۰ روز گذشته", "range.90d": "۹۰ روز گذشته",
    "range.custom": "{since} تا {until}",
    "token.title": "این trendwatch توکن می‌خواهد",
    "token.help": "مقدار web.token را از پیکربندی سرویس وارد کنید.", "token.use": "استفاده از توکن",
    "status.loading": "در حال بارگیری…", "status.updated": "به‌روز شده {time}", "status.error": "خطا: {error}",
    "query.error": "جست‌وجو در نویسهٔ {position} ایراد دارد: {error}",
    "posts.title": "پست‌ها", "posts.search_title": "پست‌های منطبق با جست‌وجو", "posts.order": "ترتیب",
    "posts.newest": "جدیدترین", "posts.engagement": "بیشترین تعامل", "posts.more": "پست‌های بیشتر",
    "posts.none": "در این بازه و با این فیلترها پستی نیست.", "posts.shown": "{n} پست",
    "posts.open": "باز کردن", "posts.likes": "پسند", "posts.reposts": "بازنشر", "posts.replies": "پاسخ",
    "tone.positive": "مثبت", "tone.neutral": "خنثی", "tone.negative": "منفی",
    "overview.mentions": "اشاره‌ها در طول زمان", "overview.share": "سهم صدا",
    "overview.net": "احساس خالص هر برند (بازهٔ ۹۵٪)", "overview.hashtags": "هشتگ‌های برتر",
    "overview.topics": "موضوع‌های برتر", "overview.emerging": "موضوع‌ها و هشتگ‌های نوظهور",
    "overview.alerts": "هشدارها", "overview.no_emerging": "در این بازه چیزی به‌طور غیرعادی رشد نکرده است.",
    "overview.no_alerts": "در این بازه هشداری نیست.",
    "kpi.posts": "پست", "kpi.change": "نسبت به دورهٔ قبل", "kpi.share": "سهم صدا", "kpi.net": "احساس خالص",
    "kpi.authors": "نویسندهٔ یکتا", "kpi.engagement": "تعامل", "kpi.new": "جدید",
    "col.term": "عبارت", "col.kind": "نوع", "col.recent_posts": "پست‌های اخیر",
    "col.recent_authors": "نویسندگان اخیر", "col.when": "آغاز", "col.subject": "موضوع", "col.rule": "قاعده",
    "col.status": "وضعیت", "col.observed": "مشاهده / انتظار", "col.severity": "شدت",
    "col.author": "نویسنده", "col.posts": "پست", "col.engagement": "تعامل", "col.net": "احساس خالص",
    "col.measure": "", "kind.hashtag": "هشتگ", "kind.topic": "موضوع",
    "compare.table": "کنار هم", "compare.volume": "حجم در طول زمان", "compare.tone": "لحن",
    "compare.reach": "پست‌ها و نویسندگان یکتا", "compare.complaints": "شکایت‌ها", "compare.praise": "تعریف‌ها",
    "compare.hashtags": "هشتگ‌ها", "compare.none": "در این بازه چیزی نیست",
    "brand.title": "{brand} از نزدیک", "brand.tone_time": "اشاره‌ها در طول زمان به تفکیک لحن",
    "brand.platforms": "به تفکیک پلتفرم", "brand.languages": "به تفکیک زبان",
    "brand.top_posts": "پرتعامل‌ترین پست‌ها", "brand.top_authors": "پرتعامل‌ترین نویسندگان",
    "brand.hashtags": "هشتگ‌ها", "brand.topics": "موضوع‌ها",
    "alerts.open": "باز", "alerts.resolved": "برطرف‌شده", "alerts.by_rule": "به تفکیک قاعده", "alerts.status": "وضعیت",
    "alerts.rule": "قاعده", "alerts.all": "همه", "alerts.all_rules": "همهٔ قاعده‌ها", "alerts.none": "هشداری نیست.",
    "alerts.ack": "تأیید دیدن", "alerts.acked": "دیده شد {when}", "alerts.mute": "بی‌صدا کردن",
    "alerts.unmute": "باصدا کردن", "alerts.muted": "بی‌صدا تا {until}", "alerts.muted_forever": "بی‌صدا تا اطلاع بعدی",
    "alerts.details": "جزئیات", "alerts.for": "برای", "alerts.mute_1h": "۱ ساعت", "alerts.mute_24h": "۲۴ ساعت",
    "alerts.mute_7d": "۷ روز", "alerts.mute_forever": "تا اطلاع بعدی", "alerts.started": "آغاز {when}",
    "alerts.last": "آخرین رویداد {when}", "alerts.posts": "نمونهٔ پست‌ها", "alerts.events": "{n} رویداد",
    "severity.critical": "بحرانی", "severity.warning": "هشدار", "severity.info": "اطلاع",
    "legend.positive": "مثبت", "legend.negative": "منفی", "legend.neutral": "خنثی",
    "axis.posts": "پست", "axis.authors": "نویسندهٔ یکتا",
  },
};

let current = WORDS.en;

export function setLanguage(lang) {
  current = WORDS[lang] || WORDS.en;
}

/** The word for `key` with `{name}` placeholders filled in (values are inserted as text later). */
export function t(key, values = {}) {
  const template = current[key] ?? WORDS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

/** Translate the static page: elements with data-i18n (text) and data-i18n-placeholder. */
export function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
}
