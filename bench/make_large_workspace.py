#!/usr/bin/env python3
"""Fills a fresh knowthy workspace (after `knowthy init`) with a large synthetic history, for
bench/report_bench.sh: 1,000,000 tweets over 15 years, 5,000 batches, 2,000 ticks with their steps,
2,000 dataset builds, and a 10,000-claim profile in two versions (so the report also diffs them).
No candidates, health.json or weekly report: those sections are small whatever the history.
Seeded; no person's data."""
import json, os, random, sqlite3, sys, time

ws = sys.argv[1]
rng = random.Random(42)
db = sqlite3.connect(os.path.join(ws, "knowthy.db"))
db.execute("PRAGMA journal_mode = OFF")
db.execute("PRAGMA synchronous = OFF")
iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
user = "bench_user"
db.execute("INSERT OR REPLACE INTO account (account_id, username, updated_at) VALUES ('1', ?, ?)", (user, iso(time.time())))
db.execute("INSERT INTO imports (id, started_at, finished_at, source, source_bytes, tweets_seen, tweets_added, "
           "deleted_added, notes_merged, likes_added) VALUES (1, ?, ?, 'bench.zip', 0, 1000000, 1000000, 0, 0, 0)",
           (iso(time.time()), iso(time.time())))

start, end = 1_262_304_000, 1_735_689_600  # 2010 .. 2025
n_tweets, n_batches = 1_000_000, 5_000
kinds = ["original"] * 5 + ["reply"] * 3 + ["quote", "retweet", "self_reply"]
words = "coffee river notebook morning train walk bread rain garden city mayfly field sketch tea".split()
now = int(time.time())
batch_tweets = 25
rows = []
for i in range(n_tweets):
    t = start + (end - start) * i // n_tweets
    kind = rng.choice(kinds)
    deleted = 1 if rng.random() < 0.02 else 0
    batch = (i // batch_tweets) + 1 if i < n_batches * batch_tweets and kind != "retweet" and not deleted else None
    rows.append((1_000_000_000_000_000_000 + i, iso(t), kind, " ".join(rng.choice(words) for _ in range(12)),
                 deleted, batch))
db.executemany("INSERT INTO tweets (id, created_at, kind, text, mentions, hashtags, urls, media_count, deleted, raw, "
               "import_id, batch_id) VALUES (?, ?, ?, ?, '[]', '[]', '[]', 0, ?, '{}', 1, ?)", rows)
rows = []
for b in range(1, n_batches + 1):
    fin = now - 60 * 86400 + b * (60 * 86400 // n_batches)
    failed = rng.random() < 0.03
    rows.append((b, "failed" if failed else "done", batch_tweets, iso(fin - 60), iso(fin - 30), iso(fin),
                 rng.choice(["draft pass: model answer: its JSON object is cut off (not closed)",
                             "critique pass: the model failed: connection refused"]) if failed else None,
                 2500, 400, 30000.0, "train" if b % 10 else "heldout"))
db.executemany("INSERT INTO batches (id, status, tweet_count, created_at, started_at, finished_at, error, "
               "prompt_tokens, completion_tokens, model_ms, split) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
steps = ["extract", "consolidate", "datasets", "health", "train", "eval", "promote", "insights"]
for r in range(1, 2001):
    t = now - 60 * 86400 + r * (60 * 86400 // 2000)
    db.execute("INSERT INTO runs (id, command, started_at, finished_at, status) VALUES (?, 'tick', ?, ?, 'ok')",
               (r, iso(t), iso(t + 40)))
    db.executemany("INSERT INTO run_steps (run_id, idx, step, status, detail, started_at, seconds) VALUES "
                   "(?, ?, ?, 'ok', 'done', ?, 1.5)", [(r, i, s, iso(t)) for i, s in enumerate(steps)])
    db.execute("INSERT INTO dataset_builds (created_at, dpo_train, dpo_heldout, sft_train, sft_heldout, pairs, "
               "flagged) VALUES (?, ?, ?, ?, ?, ?, ?)", (iso(t), r * 2, r // 5, r * 3, r // 4, r * 2 + r // 5,
                                                        json.dumps({"near-identical": r // 10, "no-evidence": r // 20})))

cats = ["identity", "preference", "habit", "belief", "relationship", "skill", "project", "other"]
def profile(n, seed):
    g = random.Random(seed)
    entries = []
    for i in range(n):
        ev = [{"id": str(1_000_000_000_000_000_000 + g.randrange(n_tweets)), "date": iso(start + g.randrange(end - start))}
              for _ in range(g.randint(1, 8))]
        entries.append({"id": f"k{i + 1}-1", "category": cats[i % len(cats)],
                        "claim": " ".join(g.choice(words) for _ in range(g.randint(6, 14))).capitalize(),
                        "support": len(ev), "mentions": len(ev), "confidence": round(g.random(), 3),
                        "first_seen": ev[-1]["date"], "last_seen": ev[0]["date"], "evidence": ev, "wordings": [],
                        "contradicts": [f"k{i + 2}-1"] if i % 500 == 0 and i + 1 < n else []})
    return {"username": user, "batches": n_batches, "claims": n * 2, "entries": entries}
os.makedirs(os.path.join(ws, "profile", "versions"), exist_ok=True)
for v, (n, seed) in enumerate([(9_900, 1), (10_000, 2)], start=1):
    with open(os.path.join(ws, "profile", "versions", f"{v:06d}.json"), "w") as f:
        json.dump(profile(n, seed), f)
    db.execute("INSERT INTO profile_versions (version, created_at, hash, entries, batches, candidates, added, dropped, "
               "changed) VALUES (?, ?, 'bench', ?, ?, ?, 0, 0, 0)", (v, iso(now), n, n_batches, n * 2))
db.commit()
print(f"workspace: {n_tweets} tweets, {n_batches} batches, 2000 ticks, 10000 claims")
