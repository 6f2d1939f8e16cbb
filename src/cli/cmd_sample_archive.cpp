#include <cstdio>

#include "cli/commands.hpp"
#include "sample/archive.hpp"

namespace knowthy::cli {

void register_sample_archive(CLI::App& app, const GlobalOptions&, Runner& run) {
  auto* cmd = app.add_subcommand(
      "sample-archive", "write a synthetic Twitter/X export (with planted persona facts) and its ground truth");
  struct Opts {
    std::string out, layout = "modern", format, truth;
    sample::SampleOptions s;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("OUT", o->out, "output: a .zip file, or a folder")->required();
  cmd->add_option("--tweets", o->s.tweets, "tweets (not counting deleted ones)")->capture_default_str();
  cmd->add_option("--seed", o->s.seed, "random seed; the same seed gives the same bytes")->capture_default_str();
  cmd->add_option("--layout", o->layout, "modern (2022+) or legacy (2020-22)")
      ->check(CLI::IsMember({"modern", "legacy"}))
      ->capture_default_str();
  cmd->add_option("--part-size", o->s.part_size, "max tweets per tweets part file")->capture_default_str();
  cmd->add_option("--format", o->format, "zip or dir (default: zip when OUT ends in .zip)")
      ->check(CLI::IsMember({"zip", "dir"}));
  cmd->add_option("--wrap-folder", o->s.wrap_folder, "put everything under this top folder");
  cmd->add_option("--note-fraction", o->s.note_fraction, "share of long (note) tweets")->capture_default_str();
  cmd->add_option("--media-fraction", o->s.media_fraction, "share of tweets with photos")->capture_default_str();
  cmd->add_option("--likes", o->s.likes, "likes")->capture_default_str();
  cmd->add_option("--deleted", o->s.deleted, "deleted tweets")->capture_default_str();
  cmd->add_option("--handle", o->s.handle, "account handle")->capture_default_str();
  cmd->add_option("--name", o->s.display_name, "display name")->capture_default_str();
  cmd->add_option("--start", o->s.start_date, "first day (YYYY-MM-DD)")->capture_default_str();
  cmd->add_option("--end", o->s.end_date, "last day (YYYY-MM-DD)");
  cmd->add_option("--truth", o->truth, "ground-truth file (default: OUT.truth.json)");
  cmd->add_flag("--full-truth", o->s.full_truth, "list every tweet in the ground truth");
  cmd->add_option("--omit", o->s.omit,
                  "leave out a data file the manifest still lists, as people do before sharing an export: "
                  "likes, deleted, media (repeatable)")
      ->check(CLI::IsMember({"likes", "deleted", "media"}));
  cmd->add_option("--compression-level", o->s.compression_level, "zip deflate level 1-9")->capture_default_str();
  cmd->callback([&run, o] {
    run = [o]() -> Status {
      o->s.layout = o->layout == "legacy" ? sample::SampleLayout::legacy : sample::SampleLayout::modern;
      o->s.zip = o->format.empty() ? o->out.ends_with(".zip") : o->format == "zip";
      auto r = sample::write_sample_archive(o->out, o->s, o->truth);
      if (!r) return std::unexpected(r.error());
      std::printf("wrote %s (%llu tweets, %llu bytes) and %s\n", r->archive.c_str(), (unsigned long long)r->tweets,
                  (unsigned long long)r->bytes_written, r->truth.c_str());
      return {};
    };
  });
}

}  // namespace knowthy::cli
