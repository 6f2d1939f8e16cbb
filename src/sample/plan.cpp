#include "sample/plan.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "sample/persona.hpp"
#include "sample/time.hpp"

namespace knowthy::sample {
namespace {

class Planner {
 public:
  Planner(Plan& p, Rng& rng, Window w, bool modern, double note_fraction, double media_fraction)
      : m_p(p),
        m_rng(rng),
        m_w(w),
        m_modern(modern),
        m_note_fraction(note_fraction),
        m_media_fraction(media_fraction) {}

  void run(size_t n) {
    m_p.n = n;
    timestamps();
    m_p.low.resize(n);
    for (auto& l : m_p.low) l = worker_low(m_rng, k_w_tweet);
    m_p.kind.assign(n, Kind::original);
    m_p.flags.assign(n, 0);
    m_p.tpos.assign(n, 0);
    m_p.tlen.assign(n, 0);
    m_p.parent.assign(n, -1);
    m_p.fact.assign(n, -1);
    m_p.fact_tpl.assign(n, -1);
    m_p.note_first.assign(n, -1);
    m_p.sample.assign(n, 0);
    kinds();
    if (m_modern) notes(static_cast<size_t>(std::llround(m_note_fraction * static_cast<double>(n))));
    media();
    facts();
    samples(20);
  }

 private:
  void timestamps() {
    // Activity grows over the years and follows a daily rhythm (UTC).
    static constexpr int k_hour_weight[24] = {1, 1, 1, 1, 1, 2, 4,  7,  9,  8, 7, 6,
                                              8, 7, 6, 7, 8, 9, 10, 11, 10, 8, 5, 2};
    int total = 0;
    for (int w : k_hour_weight) total += w;
    int64_t span_days = std::max<int64_t>(1, (m_w.end_ms + 1 - m_w.start_ms) / k_day_ms);
    auto& ms = m_p.ms;
    ms.resize(m_p.n);
    for (auto& t : ms) {
      int r = static_cast<int>(m_rng.below(static_cast<uint64_t>(total)));
      int h = 0;
      while (r >= k_hour_weight[h]) r -= k_hour_weight[h++];
      auto day = static_cast<int64_t>(static_cast<double>(span_days) * std::pow(m_rng.real(), 0.8));
      t = std::min(m_w.end_ms,
                   m_w.start_ms + day * k_day_ms + h * k_hour_ms + static_cast<int64_t>(m_rng.below(k_hour_ms)));
    }
    std::sort(ms.begin(), ms.end());
    for (size_t k = 1; k < ms.size(); ++k)
      if (ms[k] <= ms[k - 1]) ms[k] = ms[k - 1] + 1;
  }

  void kinds() {
    auto& p = m_p;
    size_t i = 0;
    static constexpr uint8_t k_lens[] = {2, 2, 3, 3, 4, 5, 6};
    while (i < p.n) {
      if (i + 1 < p.n && m_rng.chance(0.035)) {  // a self-thread of k consecutive tweets
        size_t k = std::min<size_t>(k_lens[m_rng.below(7)], p.n - i);
        p.tpos[i] = 1;
        p.tlen[i] = static_cast<uint8_t>(k);
        for (size_t j = 1; j < k; ++j) {
          size_t c = i + j;
          p.kind[c] = Kind::self_reply;
          p.parent[c] = static_cast<int32_t>(c - 1);
          p.tpos[c] = static_cast<uint8_t>(j + 1);
          p.tlen[c] = static_cast<uint8_t>(k);
          p.ms[c] = std::min(p.ms[c - 1] + m_rng.between(20'000, 600'000), p.ms[c]);  // pull members close
        }
        i += k;
        continue;
      }
      double r = m_rng.real();
      if (r < 0.17) {
        p.kind[i] = Kind::retweet;
      } else if (r < 0.39) {
        p.kind[i] = Kind::reply;
      } else if (r < 0.44) {
        p.kind[i] = Kind::quote;
      } else if (r < 0.46 && i > 0) {  // a later reply to one of her own older tweets
        for (int t = 0; t < 5; ++t) {
          size_t q = static_cast<size_t>(
              m_rng.between(static_cast<int64_t>(i > 40 ? i - 40 : 0), static_cast<int64_t>(i - 1)));
          if (p.kind[q] != Kind::retweet) {
            p.kind[i] = Kind::self_reply;
            p.parent[i] = static_cast<int32_t>(q);
            break;
          }
        }
      }
      ++i;
    }
  }

  // Note tweets, after the feature's launch when there is room. Some come as thread groups posted
  // in the same second, so matching a note to its tweet needs the text, not just the time.
  void notes(size_t target) {
    auto& p = m_p;
    if (target == 0 || p.n == 0) return;
    size_t lo = static_cast<size_t>(std::lower_bound(p.ms.begin(), p.ms.end(), day_ms("2023-02-09")) - p.ms.begin());
    if (p.n - lo < 3 * target) lo = 0;
    std::vector<uint32_t> roots;
    for (size_t i = lo; i < p.n; ++i)
      if (p.tpos[i] == 1) roots.push_back(static_cast<uint32_t>(i));
    shuffle(roots);
    size_t done = 0, group_cap = target / 5;
    for (uint32_t r : roots) {
      size_t g = std::min<size_t>(p.tlen[r], 3);
      if (done + g > group_cap || p.ms[r] % 1000 > static_cast<int64_t>(1000 - g)) continue;
      for (size_t j = 0; j < g; ++j) {
        p.ms[r + j] = p.ms[r] + static_cast<int64_t>(j);  // same second, still sorted and distinct
        p.flags[r + j] |= k_f_note | k_f_same_second;
      }
      done += g;
    }
    for (size_t t = 0; t < 60 * target && done < target; ++t) {
      size_t i = lo + m_rng.below(p.n - lo);
      Kind k = p.kind[i];
      if ((k == Kind::original || k == Kind::reply || k == Kind::self_reply) && p.flags[i] == 0) {
        p.flags[i] |= k_f_note;
        ++done;
      }
    }
    // Notes that share a second open with different paragraphs, so each prefix matches one note.
    size_t paras = persona::note_paragraphs().size();
    for (size_t i = lo; i < p.n;) {
      if (!(p.flags[i] & k_f_note)) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      std::vector<uint32_t> group{static_cast<uint32_t>(i)};
      for (; j < p.n && p.ms[j] / 1000 == p.ms[i] / 1000; ++j)
        if (p.flags[j] & k_f_note) group.push_back(static_cast<uint32_t>(j));
      if (group.size() > 1) {
        std::vector<uint32_t> order(paras);
        for (size_t k = 0; k < paras; ++k) order[k] = static_cast<uint32_t>(k);
        shuffle(order);
        for (size_t k = 0; k < group.size(); ++k) p.note_first[group[k]] = static_cast<int8_t>(order[k % paras]);
      }
      i = j;
    }
  }

  void media() {
    auto& p = m_p;
    if (m_media_fraction <= 0) return;
    std::vector<uint32_t> eligible;
    for (size_t i = 0; i < p.n; ++i)
      if (p.kind[i] != Kind::retweet && !(p.flags[i] & k_f_note)) eligible.push_back(static_cast<uint32_t>(i));
    size_t want =
        std::min(eligible.size(), static_cast<size_t>(std::llround(m_media_fraction * static_cast<double>(p.n))));
    for (size_t k = 0; k < want; ++k) {  // partial Fisher-Yates
      size_t j = k + m_rng.below(eligible.size() - k);
      std::swap(eligible[k], eligible[j]);
      p.flags[eligible[k]] |= k_f_media;
    }
  }

  bool free_slot(size_t i) const { return !m_p.tlen[i] && !(m_p.flags[i] & k_f_note) && m_p.fact[i] < 0; }

  // A free tweet inside [w0, w1] (plain originals first); else a neighbour retimed into it.
  std::optional<size_t> slot(int64_t w0, int64_t w1) {
    auto& p = m_p;
    size_t lo = static_cast<size_t>(std::lower_bound(p.ms.begin(), p.ms.end(), w0) - p.ms.begin());
    size_t hi = static_cast<size_t>(std::upper_bound(p.ms.begin(), p.ms.end(), w1) - p.ms.begin());
    if (hi > lo) {
      for (int t = 0; t < 40; ++t) {
        size_t i = lo + m_rng.below(hi - lo);
        if (p.kind[i] == Kind::original && free_slot(i)) return i;
      }
      size_t s = lo + m_rng.below(hi - lo);
      for (size_t k = 0; k < hi - lo; ++k) {
        size_t i = lo + (s - lo + k) % (hi - lo);
        if (free_slot(i)) return i;
      }
    }
    for (size_t i : {hi, lo - 1}) {  // lo - 1 wraps to SIZE_MAX when lo == 0: rejected below
      if (i >= p.n || !free_slot(i)) continue;
      int64_t a = std::max(w0, i > 0 ? p.ms[i - 1] + 1 : w0);
      int64_t b = std::min(w1, i + 1 < p.n ? p.ms[i + 1] - 1 : w1);
      if (a <= b) {
        p.ms[i] = m_rng.between(a, b);
        return i;
      }
    }
    return std::nullopt;
  }

  void facts() {
    auto& p = m_p;
    auto all = persona::facts();
    p.fact_tweets.assign(all.size(), {});
    size_t budget = p.n / 3, templates = 0, placed_total = 0;
    for (const auto& f : all) templates += f.tweets.size();
    size_t cap = templates <= budget ? 6 : 2;
    for (size_t fno = 0; fno < all.size(); ++fno) {
      if (placed_total + 2 > budget) break;
      const auto& tw = all[fno].tweets;
      std::vector<size_t> order{0};  // first and last template first: they anchor the story
      if (tw.size() > 1) order.push_back(tw.size() - 1);
      for (size_t t = 1; t + 1 < tw.size(); ++t) order.push_back(t);
      std::vector<std::pair<uint32_t, Kind>> placed;
      for (size_t tno : order) {
        if (placed.size() == cap) break;
        const auto& ft = tw[tno];
        int64_t w0 = std::max(ft.from.empty() ? m_w.start_ms : day_ms(ft.from), m_w.start_ms);
        int64_t w1 = std::min(ft.to.empty() ? m_w.end_ms : day_ms(ft.to) + k_day_ms - 1, m_w.end_ms);
        if (w0 > w1) continue;
        auto i = slot(w0, w1);
        if (!i) continue;
        placed.push_back({static_cast<uint32_t>(*i), p.kind[*i]});
        p.fact[*i] = static_cast<int16_t>(fno);
        p.fact_tpl[*i] = static_cast<int16_t>(tno);
        p.kind[*i] = ft.text.starts_with("@@ ") ? Kind::reply : Kind::original;
      }
      if (placed.size() < 2) {  // too thin to count as support: drop it
        for (auto [i, k] : placed) {
          p.fact[i] = p.fact_tpl[i] = -1;
          p.kind[i] = k;
        }
        continue;
      }
      placed_total += placed.size();
      for (auto [i, k] : placed) p.fact_tweets[fno].push_back(i);
      std::sort(p.fact_tweets[fno].begin(), p.fact_tweets[fno].end());
    }
  }

  // ~k tweets for the truth file, covering every kind, media, notes and facts.
  void samples(size_t k) {
    auto& p = m_p;
    if (p.n == 0) return;
    size_t chosen = 0;
    auto take = [&](size_t i) {
      if (p.sample[i]) return false;
      p.sample[i] = 1;
      ++chosen;
      return true;
    };
    std::vector<uint32_t> fact_idx;
    for (const auto& v : p.fact_tweets)
      if (v.size() >= 2) fact_idx.insert(fact_idx.end(), v.begin(), v.end());
    for (int t = 0; t < 2 && !fact_idx.empty(); ++t) take(fact_idx[m_rng.below(fact_idx.size())]);
    struct Want {
      int count;
      bool (*test)(const Plan&, size_t);
    };
    const Want wants[] = {
        {3, [](const Plan& q, size_t i) { return q.kind[i] == Kind::original && q.flags[i] == 0 && q.fact[i] < 0; }},
        {3, [](const Plan& q, size_t i) { return q.kind[i] == Kind::reply; }},
        {2, [](const Plan& q, size_t i) { return q.kind[i] == Kind::self_reply; }},
        {3, [](const Plan& q, size_t i) { return q.kind[i] == Kind::retweet; }},
        {2, [](const Plan& q, size_t i) { return q.kind[i] == Kind::quote && q.fact[i] < 0; }},
        {2, [](const Plan& q, size_t i) { return (q.flags[i] & k_f_media) != 0; }},
        {3, [](const Plan& q, size_t i) { return (q.flags[i] & k_f_note) != 0; }},
        {1, [](const Plan& q, size_t i) { return (q.flags[i] & k_f_same_second) != 0; }},
    };
    for (const auto& w : wants) {
      int want = w.count;
      for (int t = 0; t < 3000 && want > 0; ++t) {
        size_t i = m_rng.below(p.n);
        if (w.test(p, i) && take(i)) --want;
      }
    }
    for (int t = 0; chosen < std::min(k, p.n) && t < 100000; ++t) take(m_rng.below(p.n));
  }

  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[m_rng.below(i)]);
  }

  Plan& m_p;
  Rng& m_rng;
  Window m_w;
  bool m_modern;
  double m_note_fraction, m_media_fraction;
};

}  // namespace

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::original: return "original";
    case Kind::reply: return "reply";
    case Kind::self_reply: return "self_reply";
    case Kind::retweet: return "retweet";
    case Kind::quote: return "quote";
  }
  return "original";
}

void plan_timeline(Plan& p, Rng& rng, Window w, bool modern, double note_fraction, double media_fraction, size_t n) {
  Planner(p, rng, w, modern, note_fraction, media_fraction).run(n);
}

}  // namespace knowthy::sample
