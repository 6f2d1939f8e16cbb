#include "sample/archive.hpp"

#include <algorithm>
#include <string_view>
#include <system_error>

#include "sample/generator.hpp"
#include "sample/persona.hpp"
#include "sample/plan.hpp"
#include "sample/rng.hpp"
#include "sample/sink.hpp"
#include "sample/text.hpp"
#include "sample/time.hpp"
#include "sample/tweet.hpp"
#include "util/fs.hpp"

// The generator's parts, each in its own sample/*.{hpp,cpp}:
//   rng            splitmix64 and snowflake ids        time              dates and timestamp formats
//   text           full_text and its entities          json              json.dumps / Jackson printers
//   plan           the timeline skeleton               tweet             one tweet (and note) record
//   sink           zip or folder output                generator         every archive member
//   truth          the ground truth document           persona           the made-up person's texts

namespace knowthy::sample {
namespace {

namespace fs = std::filesystem;
using namespace sample;

Status check_options(const SampleOptions& o) {
  if (o.part_size == 0) return bad_input("part_size", "must be at least 1");
  if (o.tweets > 50'000'000) return bad_input("tweets", "at most 50,000,000");
  if (o.likes > 10'000'000 || o.deleted > 10'000'000) return bad_input("likes/deleted", "at most 10,000,000");
  if (!(o.note_fraction >= 0 && o.note_fraction <= 0.5) || !(o.media_fraction >= 0 && o.media_fraction <= 0.5))
    return bad_input("note_fraction/media_fraction", "must be within [0, 0.5]");
  if (o.handle.empty() || o.handle.size() > 15 ||
      !std::all_of(o.handle.begin(), o.handle.end(), [](char c) { return ascii_word(static_cast<unsigned char>(c)); }))
    return bad_input("handle", "must be 1-15 letters, digits or _");
  if (o.display_name.empty()) return bad_input("display_name", "must not be empty");
  if (o.wrap_folder.find("..") != std::string::npos || o.wrap_folder.find('\\') != std::string::npos)
    return bad_input("wrap_folder", "must be a plain folder name");
  return {};
}

// The account (an old account gets a pre-snowflake id) and the made-up users' ids.
void make_persona(Context& ctx, Rng& rng) {
  ctx.created_ms = std::min(day_ms("2015-09-12"), ctx.window.start_ms - 120 * k_day_ms) + 30'447'000;
  if (ctx.created_ms < day_ms("2016-01-01"))
    ctx.account_id = u64_str(static_cast<uint64_t>(rng.between(2'600'000'000, 4'200'000'000)));
  else
    ctx.account_id = u64_str(static_cast<uint64_t>(snowflake(ctx.created_ms, 0)));
  for (size_t u = 0; u < persona::users().size(); ++u) {
    if (rng.chance(0.5))
      ctx.user_ids.push_back(u64_str(static_cast<uint64_t>(rng.between(1'000'000, 3'999'999'999))));
    else
      ctx.user_ids.push_back(u64_str(static_cast<uint64_t>(snowflake(
          rng.between(day_ms("2012-01-01"), day_ms("2016-01-01")), static_cast<uint32_t>(rng.below(1u << 22))))));
  }
}

}  // namespace

Result<SampleSummary> write_sample_archive(const fs::path& out, const SampleOptions& opt, fs::path truth) {
  if (auto s = check_options(opt); !s) return std::unexpected(s.error());
  const bool modern = opt.layout == SampleLayout::modern;
  auto start = parse_day(opt.start_date);
  std::string end_text = opt.end_date.empty() ? (modern ? "2024-06-30" : "2022-03-31") : opt.end_date;
  auto end = parse_day(end_text);
  if (!start || !end) return bad_input("start_date/end_date", "must be YYYY-MM-DD dates");
  if (*start < day_ms("2011-01-01") || *end < *start || *end > day_ms("2100-01-01"))
    return bad_input("start_date/end_date", "need 2011-01-01 <= start <= end");

  std::string out_str = out.string();
  while (out_str.size() > 1 && out_str.back() == '/') out_str.pop_back();
  fs::path out_path(out_str);
  if (out_str.empty()) return bad_input("output", "no output path given");
  if (truth.empty()) truth = out_str + ".truth.json";
  std::error_code ec;
  if (opt.zip) {
    if (fs::exists(out_path, ec)) return bad_input(out_str, "already exists", "choose a new file name or remove it");
  } else if (fs::exists(out_path, ec)) {
    if (!fs::is_directory(out_path, ec)) return bad_input(out_str, "exists and is not a folder");
    if (!fs::is_empty(out_path, ec))
      return bad_input(out_str, "folder exists and is not empty", "choose a new or empty folder");
  }
  if (out_path.has_parent_path()) {
    fs::create_directories(out_path.parent_path(), ec);
    if (ec) return fail(out_path.parent_path().string(), "cannot create folder: " + ec.message());
  }

  Context ctx;
  ctx.opt = &opt;
  ctx.modern = modern;
  ctx.seed = opt.seed;
  ctx.window = {*start, *end + k_day_ms - 1};
  ctx.gen_ms = ctx.window.end_ms + 3 * k_day_ms + 37'062'123;  // archive requested three days after the last tweet
  ctx.move_ms = day_ms(persona::k_move_date);
  ctx.web_app_ms = day_ms("2019-07-15");
  ctx.edit_ms = day_ms("2022-09-29");
  ctx.x_ms = day_ms("2023-07-24");
  Rng persona_rng(mix(opt.seed, 1));
  make_persona(ctx, persona_rng);
  Rng plan_rng(mix(opt.seed, 3));
  plan_timeline(ctx.plan, plan_rng, ctx.window, modern, opt.note_fraction, opt.media_fraction, opt.tweets);

  // A zip is written beside its final name and renamed at the end: no half-written archive.
  fs::path tmp = out_str + ".partial";
  Sink sink;
  if (opt.zip) {
    fs::remove(tmp, ec);
    if (auto s = sink.open_zip(tmp, opt.compression_level, ctx.gen_ms / 1000); !s) return std::unexpected(s.error());
  } else {
    if (auto s = util::make_private_dir(out_path, 0755); !s) return std::unexpected(s.error());
    sink.open_dir(out_path);
  }
  std::string root = opt.wrap_folder;
  while (!root.empty() && root.front() == '/') root.erase(0, 1);
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (!root.empty()) root += '/';
  sink.set_root(root);
  std::vector<std::string> omitted;
  for (const auto& o : opt.omit) {
    if (o == "likes")
      omitted.push_back("data/like.js");
    else if (o == "deleted")
      omitted.push_back(modern ? "data/deleted-tweets.js" : "data/deleted-tweet.js");
    else if (o == "media")
      omitted.insert(omitted.end(), {"data/tweets_media", "data/tweet_media"});
    else
      return bad_input("--omit " + o, "unknown", "use likes, deleted or media");
  }
  sink.omit(omitted);

  Generator gen(opt, ctx, sink);
  auto t = gen.run();
  Status closed = t ? sink.close() : Status{};
  if (!t || !closed) {
    if (opt.zip) fs::remove(tmp, ec);
    return std::unexpected(t ? closed.error() : t.error());
  }
  SampleSummary sum;
  sum.archive = out_path;
  sum.truth = truth;
  sum.tweets = gen.total();
  sum.parts = gen.parts();
  if (opt.zip) {
    fs::rename(tmp, out_path, ec);
    if (ec) return fail(out_str, "cannot rename the finished zip: " + ec.message());
    sum.bytes_written = fs::file_size(out_path, ec);
  } else {
    sum.bytes_written = sink.bytes();
  }
  std::string text = t->dump(2, ' ', false, json::error_handler_t::replace);
  text += '\n';
  if (auto s = util::write_file_atomic(truth, text, 0644); !s) return std::unexpected(s.error());
  return sum;
}

}  // namespace knowthy::sample
