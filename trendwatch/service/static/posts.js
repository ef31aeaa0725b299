// Posts: one card per post, brand mentions highlighted. The server cut the text into segments
// at the mentions; each segment becomes a Text node, a mention a <mark> around one.

import { digits, el, num, safeLink, toneBadge } from "./dom.js";
import { t } from "./i18n.js";

export function brandClass(brand, brands) {
  const index = brands.indexOf(brand);
  return `mention mention-${index >= 0 ? index % 8 : 7}`;
}

export function postText(post, brands) {
  return el(
    "p",
    { class: "post-text", dir: post.dir, lang: post.lang },
    post.segments.map((s) =>
      s.brand ? el("mark", { class: brandClass(s.brand, brands), title: s.brand, dataset: { brand: s.brand } }, s.text) : s.text,
    ),
  );
}

export function postCard(post, brands) {
  const author = post.author;
  const who = author
    ? el("span", { class: "author", dir: "auto" },
        author.name ? el("strong", { dir: "auto" }, author.name) : null,
        author.handle ? el("span", { class: "handle", dir: "ltr" }, author.handle.startsWith("@") ? author.handle : `@${author.handle}`) : null)
    : null;
  const e = post.engagement;
  return el(
    "li",
    { class: "post", dataset: { id: post.id } },
    el("div", { class: "post-meta" },
      who,
      el("span", { class: "badge platform" }, post.platform),
      el("span", { class: "badge lang" }, post.lang),
      toneBadge(post.sentiment_label),
      el("time", { datetime: post.created_at, class: "muted" }, post.created_display)),
    post.title && post.title !== post.segments.map((s) => s.text).join("") ? el("h3", { class: "post-title", dir: "auto" }, post.title) : null,
    postText(post, brands),
    el("div", { class: "post-foot" },
      post.hashtags.map((tag) => el("span", { class: "hashtag", dir: "auto" }, `#${tag}`)),
      el("span", { class: "engagement muted" },
        `${num(e.likes ?? 0)} ${t("posts.likes")} · ${num(e.reposts ?? 0)} ${t("posts.reposts")} · ${num(e.replies ?? 0)} ${t("posts.replies")}`),
      safeLink(post.url, t("posts.open"))),
  );
}

/** Show a search error: the message, and the query with the offending character marked. */
export function queryError(box, body) {
  box.replaceChildren();
  if (!body) {
    box.hidden = true;
    return;
  }
  const chars = Array.from(body.query ?? "");
  const at = Math.max(0, Math.min(body.position ?? chars.length, chars.length));
  box.append(
    el("p", {}, t("query.error", { position: digits(at + 1), error: body.error })),
    el("code", { dir: "ltr", class: "query" },
      chars.slice(0, at).join(""),
      el("mark", { class: "query-at" }, chars[at] ?? " "),
      chars.slice(at + 1).join("")),
  );
  box.hidden = false;
}
