// Preference rows as ms-swift builds them: rejected_response replacing the answer after the last
// user turn, rejected_messages as given, chosen/rejected columns through --columns, KTO labels,
// RM margins, and bad rows counted or, with strict, named by file:line.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "rlhf/preference_data.h"

namespace {

using json = nlohmann::ordered_json;
using swift::rlhf::PreferenceKind;
using swift::rlhf::PreferenceRow;
using swift::rlhf::to_preference_row;

json msgs(std::initializer_list<std::pair<const char*, const char*>> turns) {
  json out = json::array();
  for (const auto& [role, content] : turns) out.push_back({{"role", role}, {"content", content}});
  return out;
}

std::string write_file(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / "swift_test_preference_data";
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(PreferenceData, RejectedResponseReplacesTheLastAnswer) {
  json row{{"messages", msgs({{"system", "s"},
                              {"user", "q1"},
                              {"assistant", "a1"},
                              {"user", "q2"},
                              {"assistant", "good"}})},
           {"rejected_response", "bad"}};
  PreferenceRow r;
  ASSERT_EQ(to_preference_row(row, PreferenceKind::kPair, &r), "");
  EXPECT_EQ(r.chosen, row["messages"]);
  EXPECT_EQ(r.rejected, msgs({{"system", "s"},
                              {"user", "q1"},
                              {"assistant", "a1"},
                              {"user", "q2"},
                              {"assistant", "bad"}}));
  // a list of turns replaces the whole trajectory after the last user turn (tool calls too)
  json tools{{"messages",
              msgs({{"user", "q"}, {"assistant", "call"}, {"tool", "res"}, {"assistant", "good"}})},
             {"rejected_response", msgs({{"assistant", "bad"}})}};
  ASSERT_EQ(to_preference_row(tools, PreferenceKind::kPair, &r), "");
  EXPECT_EQ(r.rejected, msgs({{"user", "q"}, {"assistant", "bad"}}));
}

TEST(PreferenceData, RejectedMessagesAndMarginPassThrough) {
  json row{{"messages", msgs({{"user", "q"}, {"assistant", "a"}})},
           {"rejected_messages", msgs({{"user", "q"}, {"assistant", "b"}})},
           {"margin", 0.5}};
  PreferenceRow r;
  ASSERT_EQ(to_preference_row(row, PreferenceKind::kPair, &r), "");
  EXPECT_EQ(r.rejected, row["rejected_messages"]);
  EXPECT_DOUBLE_EQ(r.margin.value(), 0.5);
}

TEST(PreferenceData, BadPairRowsSayWhy) {
  PreferenceRow r;
  json base{{"messages", msgs({{"user", "q"}, {"assistant", "a"}})}};
  EXPECT_NE(to_preference_row(base, PreferenceKind::kPair, &r).find("no rejected answer"),
            std::string::npos);
  json same = base;
  same["rejected_response"] = "a";
  EXPECT_EQ(to_preference_row(same, PreferenceKind::kPair, &r),
            "rejected answer equals the chosen one");
  json user = base;
  user["rejected_response"] = msgs({{"user", "x"}});
  EXPECT_EQ(to_preference_row(user, PreferenceKind::kPair, &r),
            "rejected_response holds a user turn");
  json num = base;
  num["rejected_response"] = 3;
  EXPECT_NE(to_preference_row(num, PreferenceKind::kPair, &r), "");
}

TEST(PreferenceData, KtoLabels) {
  PreferenceRow r;
  json row{{"messages", msgs({{"user", "q"}, {"assistant", "a"}})}, {"label", false}};
  ASSERT_EQ(to_preference_row(row, PreferenceKind::kKto, &r), "");
  EXPECT_FALSE(r.label.value());
  row["label"] = 1;
  ASSERT_EQ(to_preference_row(row, PreferenceKind::kKto, &r), "");
  EXPECT_TRUE(r.label.value());
  row["label"] = "yes";
  EXPECT_EQ(to_preference_row(row, PreferenceKind::kKto, &r), "KTO label is not true or false");
  row.erase("label");
  EXPECT_EQ(to_preference_row(row, PreferenceKind::kKto, &r), "KTO row without a label");
}

TEST(PreferenceData, FilesCountBadRowsOrNameTheLine) {
  const std::string text =
      R"({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "rejected_response": "b"})"
      "\n"
      R"({"query": "q", "response": "a", "rejected_response": "b"})"
      "\n\n"
      R"({"query": "q", "response": "a"})"
      "\n"
      R"({"prompt": "q", "chosen": "a", "rejected": "c"})"
      "\n";
  const auto path = write_file("prefs.jsonl", text);
  try {
    swift::rlhf::load_preference_rows(path, PreferenceKind::kPair, /*strict=*/true);
    FAIL();
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("prefs.jsonl:4: no rejected answer"), std::string::npos)
        << e.what();
  }
  swift::rlhf::PreferenceStats st;
  auto rows = swift::rlhf::load_preference_rows(
      path, PreferenceKind::kPair, false,
      json{{"chosen", "response"}, {"rejected", "rejected_response"}}, &st, /*max_drop_ratio=*/0.5);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(st.total, 4u);
  EXPECT_EQ(st.dropped.begin()->second, 1u);
  EXPECT_EQ(rows[1].rejected, msgs({{"user", "q"}, {"assistant", "b"}}));
  EXPECT_EQ(rows[2].chosen, msgs({{"user", "q"}, {"assistant", "a"}}));
  EXPECT_EQ(rows[2].rejected, msgs({{"user", "q"}, {"assistant", "c"}}));
  // too many bad rows is an error, not a silently smaller dataset
  EXPECT_THROW(swift::rlhf::load_preference_rows(path, PreferenceKind::kPair, false), swift::Error);
}

}  // namespace
