// Note tweets: links expanded from core.urls, and the note's entities merged into the tweet.
#include "archive/notes.hpp"

#include <gtest/gtest.h>

namespace knowthy::archive {
namespace {

TEST(Notes, LinksAreExpandedWhereverTheyStand) {
  const std::vector<NoteLink> links{{"https://t.co/AbC123", "https://example.org/a?x=1"},
                                    {"http://t.co/zz9", "https://example.org/b"}};
  EXPECT_EQ(expand_links("Read https://t.co/AbC123, then http://t.co/zz9.", links),
            "Read https://example.org/a?x=1, then https://example.org/b.");
  EXPECT_EQ(expand_links("https://t.co/AbC123", links), "https://example.org/a?x=1");
  // A link the note does not list stays as written; so does text without links.
  EXPECT_EQ(expand_links("see https://t.co/Other1 ok", links), "see https://t.co/Other1 ok");
  EXPECT_EQ(expand_links("no links at all", links), "no links at all");
  EXPECT_EQ(expand_links("ends with https://t.co/", links), "ends with https://t.co/");
  // Something else before ://t.co/ does not stop the links after it.
  EXPECT_EQ(expand_links("ftp://t.co/x and https://t.co/AbC123", links), "ftp://t.co/x and https://example.org/a?x=1");
}

TEST(Notes, AMatchedNoteGivesItsTextLinksAndEntities) {
  NoteMatcher m;
  Note n;
  n.note_id = "9";
  n.created_at = "2023-05-01T10:00:00Z";
  n.text = "A long post about rivers and why they matter so much to all of us here. More: https://t.co/Q1w2E3";
  n.links = {{"https://t.co/Q1w2E3", "https://adafield.net/notes/rivers"}};
  n.mentions = {"bob"};
  n.hashtags = {"rivers"};
  m.add(n);
  Tweet t;
  t.id = 42;
  t.created_at = "2023-05-01T10:00:00Z";
  t.leading_mentions = "@ann ";
  t.mentions_json = R"(["ann"])";
  t.hashtags_json = "[]";
  t.urls_json = R"(["https://twitter.com/i/web/status/42"])";
  ASSERT_TRUE(m.apply(t, "@ann A long post about rivers and why they matter so much… https://t.co/self"));
  EXPECT_EQ(t.text,
            "@ann A long post about rivers and why they matter so much to all of us here. More: "
            "https://adafield.net/notes/rivers");
  EXPECT_EQ(t.urls_json, R"(["https://adafield.net/notes/rivers"])");
  EXPECT_EQ(t.mentions_json, R"(["ann","bob"])");
  EXPECT_EQ(t.hashtags_json, R"(["rivers"])");
  EXPECT_EQ(t.note_id, "9");
}

}  // namespace
}  // namespace knowthy::archive
