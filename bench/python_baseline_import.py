#!/usr/bin/env python3
"""A straightforward Python importer for a Twitter/X archive, the baseline for bench/import_bench.sh.

It does what twitter-to-sqlite's `import` does, with the standard library only (zipfile, json,
sqlite3): read each data file whole, strip the `window.YTD.<name>.partN = ` prefix, json.loads
it, and insert the rows into SQLite with executemany in one transaction (journal_mode WAL).

Per tweet it does the same work as `knowthy ingest`:
  * HTML-unescape &amp; &lt; &gt; in full_text and replace t.co links with their expanded urls
    (entities.urls + entities.media; indices are code points, end-exclusive);
  * created_at ("Wed Feb 28 13:07:52 +0000 2024") to ISO-8601 UTC;
  * kind: retweet ("RT @"), reply / self_reply (in_reply_to_status_id_str), quote (a url
    entity pointing at twitter.com|x.com/<user>/status/<id>), else original;
  * mentions / hashtags / urls as JSON lists, media count, lang, the raw record as minified JSON;
  * long tweets take their note's full text (note-tweet.js, matched by second + text prefix);
  * deleted-tweets.js (marked deleted) and like.js.
The table mirrors knowthy's (INTEGER PRIMARY KEY id, an index on created_at), so both tools
write the same rows.

Usage: python_baseline_import.py ARCHIVE.zip DB.sqlite [--json]
"""
import json
import re
import sqlite3
import sys
import time
import zipfile

MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

STATUS_LINK = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter\.com|x\.com)/([^/]+)/status/(\d+)(?:[?#].*|/)?$")
TCO = re.compile(r"https?://t\.co/\S*")
SPACES = re.compile(r"\s+")
LEADING_MENTIONS = re.compile(r"(?:@\w+ )*", re.ASCII)

SCHEMA = """
CREATE TABLE IF NOT EXISTS tweets (
  id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
  in_reply_to TEXT, in_reply_to_user_id TEXT, in_reply_to_screen_name TEXT,
  mentions TEXT NOT NULL, hashtags TEXT NOT NULL, urls TEXT NOT NULL, media_count INTEGER NOT NULL,
  lang TEXT, note_id TEXT, deleted INTEGER NOT NULL DEFAULT 0, deleted_at TEXT, raw TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tweets_by_time ON tweets(created_at);
CREATE TABLE IF NOT EXISTS notes (note_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, text TEXT NOT NULL,
  tweet_id INTEGER, raw TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS likes (tweet_id TEXT PRIMARY KEY, full_text TEXT, expanded_url TEXT);
"""

INSERT_TWEET = """
INSERT INTO tweets (id, created_at, kind, text, in_reply_to, in_reply_to_user_id, in_reply_to_screen_name,
                    mentions, hashtags, urls, media_count, lang, note_id, deleted, deleted_at, raw)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET deleted = 1, deleted_at = excluded.deleted_at
  WHERE excluded.deleted = 1 AND tweets.deleted = 0
"""


def compact(obj):
    """Minified JSON, UTF-8 kept (as knowthy stores it)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def load_ytd(zf, name):
    """The records of one `window.YTD.x.partN = [...]` file."""
    text = zf.read(name).decode("utf-8")
    return json.loads(text[text.index("=") + 1:])


def iso(created_at):
    # "Wed Feb 28 13:07:52 +0000 2024" -> "2024-02-28T13:07:52Z" (archives are always +0000)
    _, mon, day, hms, _, year = created_at.split(" ")
    return f"{year}-{MONTHS[mon]:02d}-{int(day):02d}T{hms}Z"


def unescape(s):
    if "&" not in s:
        return s
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def expand_text(full, links):
    """full_text with t.co links replaced and &amp; &lt; &gt; decoded. links: (start, end, url, expanded)."""
    if not links:
        return unescape(full)
    links.sort()
    out = []
    done = 0
    last_start = None
    for start, end, url, expanded in links:
        if start == last_start:  # media repeated across entities
            continue
        last_start = start
        if full[start:end] != url:  # off-by-some indices in older archives: look for the url
            start = full.find(url, done)
            if start < 0:
                continue
            end = start + len(url)
        if start < done:
            continue
        out.append(unescape(full[done:start]))
        out.append(expanded)
        done = end
    out.append(unescape(full[done:]))
    return "".join(out)


def leading_mentions(text):
    m = LEADING_MENTIONS.match(text)
    return m.group(0)


def normalize_for_match(text):
    text = TCO.sub("\x01", text)
    text = SPACES.sub(" ", text).strip()
    while True:
        t = text.rstrip(" ")
        if t.endswith("\x01"):
            t = t[:-1]
        elif t.endswith("\u2026") or t.endswith("..."):
            t = t[:-1] if t.endswith("\u2026") else t[:-3]
        else:
            text = t
            break
        text = t
    return text


class Notes:
    def __init__(self):
        self.notes = []  # [note_id, created_at, text, tweet_id, raw, normalized]
        self.by_second = {}

    def add(self, rec):
        n = rec["noteTweet"]
        created = n["createdAt"][:19] + "Z"
        self.by_second.setdefault(created, []).append(len(self.notes))
        text = n["core"]["text"]
        self.notes.append([n["noteTweetId"], created, text, None,
                           compact(rec), normalize_for_match(text)])

    def match(self, created_at, full_text, lead):
        """The note whose text this tweet's full_text begins, or None."""
        cands = self.by_second.get(created_at)
        if not cands:
            return None
        norm = normalize_for_match(unescape(full_text[len(lead):]))
        if not norm:
            return None
        best, best_len = None, 0
        for idx in cands:
            note = self.notes[idx]
            if note[3] is not None:
                continue
            n = note[5]
            k = 0
            lim = min(len(n), len(norm))
            while k < lim and n[k] == norm[k]:
                k += 1
            if k > best_len:
                best, best_len = note, k
        need = len(norm) - len(norm) // 10 if len(norm) >= 20 else len(norm)
        if best is None or best_len < need:
            return None
        return best


def tweet_row(rec, account_id, notes, deleted):
    t = rec.get("tweet", rec)
    tid = int(t["id_str"])
    full = t["full_text"]
    created = iso(t["created_at"])
    ent = t.get("entities") or {}
    links = []
    urls = []
    quote = False
    for u in ent.get("urls") or ():
        exp = u.get("expanded_url")
        if exp:
            urls.append(exp)
            m = STATUS_LINK.match(exp)
            if m and m.group(1) != "i" and int(m.group(2)) != tid:
                quote = True
        idx = u.get("indices")
        if exp and u.get("url") and idx and len(idx) == 2:
            links.append((int(idx[0]), int(idx[1]), u["url"], exp))
    media = ent.get("media") or ()
    for u in media:
        idx = u.get("indices")
        if u.get("expanded_url") and u.get("url") and idx and len(idx) == 2:
            links.append((int(idx[0]), int(idx[1]), u["url"], u["expanded_url"]))
    ext_media = (t.get("extended_entities") or {}).get("media")
    media_count = len(ext_media) if ext_media is not None else len(media)
    mentions = [m["screen_name"] for m in ent.get("user_mentions") or () if m.get("screen_name")]
    hashtags = [h["text"] for h in ent.get("hashtags") or () if h.get("text")]
    text = expand_text(full, links)

    reply_to = t.get("in_reply_to_status_id_str") or t.get("in_reply_to_status_id")
    reply_user = t.get("in_reply_to_user_id_str") or t.get("in_reply_to_user_id")
    if full.startswith("RT @"):
        kind = "retweet"
    elif reply_to:
        kind = "self_reply" if account_id and reply_user == account_id else "reply"
    elif quote:
        kind = "quote"
    else:
        kind = "original"
    lead = leading_mentions(full) if kind in ("reply", "self_reply") else ""

    note_id = None
    if notes.by_second:
        note = notes.match(created, full, lead)
        if note is not None:
            note[3] = tid
            text = lead + note[2]
            note_id = note[0]

    deleted_at = t.get("deleted_at")
    if deleted_at:
        deleted_at = iso(deleted_at)
    elif deleted:
        deleted_at = ""
    return (tid, created, kind, text, reply_to, reply_user, t.get("in_reply_to_screen_name"),
            compact(mentions), compact(hashtags), compact(urls), media_count, t.get("lang"), note_id,
            1 if deleted_at is not None else 0, deleted_at,
            compact(rec))


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: python_baseline_import.py ARCHIVE.zip DB.sqlite [--json]")
    t0 = time.monotonic()
    archive, db_path = argv[1], argv[2]
    zf = zipfile.ZipFile(archive)
    manifest = zf.read("data/manifest.js").decode("utf-8")
    types = json.loads(manifest[manifest.index("=") + 1:])["dataTypes"]

    def files(*keys):
        out = []
        for k in keys:
            out += [f["fileName"] for f in types.get(k, {}).get("files", [])]
        return out

    account_id = ""
    for name in files("account"):
        for rec in load_ytd(zf, name):
            account_id = rec["account"]["accountId"]

    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    db.execute("BEGIN")

    stats = {"tweets_seen": 0, "deleted_seen": 0, "notes_seen": 0, "likes_seen": 0, "bytes": 0}
    notes = Notes()
    for name in files("noteTweet"):
        stats["bytes"] += zf.getinfo(name).file_size
        for rec in load_ytd(zf, name):
            notes.add(rec)
            stats["notes_seen"] += 1

    for key, deleted in ((("tweets", "tweet"), False), (("deletedTweets", "deletedTweet"), True)):
        for name in files(*key):
            stats["bytes"] += zf.getinfo(name).file_size
            recs = load_ytd(zf, name)
            db.executemany(INSERT_TWEET, (tweet_row(r, account_id, notes, deleted) for r in recs))
            stats["deleted_seen" if deleted else "tweets_seen"] += len(recs)
            del recs

    db.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, ?) ON CONFLICT(note_id) DO NOTHING",
                   (n[:5] for n in notes.notes))
    for name in files("like"):
        stats["bytes"] += zf.getinfo(name).file_size
        recs = load_ytd(zf, name)
        db.executemany(
            "INSERT INTO likes VALUES (?, ?, ?) ON CONFLICT(tweet_id) DO NOTHING",
            ((l["like"]["tweetId"], unescape(l["like"]["fullText"]) if "fullText" in l["like"] else None,
              l["like"].get("expandedUrl")) for l in recs))
        stats["likes_seen"] += len(recs)
    db.execute("COMMIT")
    stats["notes_merged"] = sum(1 for n in notes.notes if n[3] is not None)
    stats["tweets_total"] = db.execute("SELECT count(*) FROM tweets WHERE deleted = 0").fetchone()[0]
    stats["deleted_total"] = db.execute("SELECT count(*) FROM tweets WHERE deleted = 1").fetchone()[0]
    kinds = dict(db.execute("SELECT kind, count(*) FROM tweets WHERE deleted = 0 GROUP BY kind").fetchall())
    stats["kinds"] = kinds
    db.close()
    stats["seconds"] = time.monotonic() - t0
    if "--json" in argv:
        print(json.dumps(stats, sort_keys=True))
    else:
        print(f"imported {stats['tweets_seen']} tweets, {stats['deleted_seen']} deleted, "
              f"{stats['likes_seen']} likes in {stats['seconds']:.2f} s")


if __name__ == "__main__":
    main(sys.argv)
