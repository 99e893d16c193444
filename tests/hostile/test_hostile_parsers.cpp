// Hostile inputs against every untrusted-input parser, generated here rather than stored: each
// class of attack from the hardening review (depth bombs at 10^5 levels in every structured format,
// alias bombs, FIFOs and other non-files where a file is expected, ill-formed UTF-8, integer edge
// cases, wrongly typed fields) must end in one swift::Error naming the file and what to do —
// quickly, with no crash, no hang and no raw library text. Built twice: plain and ASan/UBSan.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "args/config_file.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "dataset/dataset.h"
#include "io/adapter_config.h"
#include "io/hf_config.h"
#include "io/safetensors.h"
#include "template/jinja/jinja.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer.h"

namespace {

namespace stdfs = std::filesystem;
constexpr int kDeep = 100000;

// A per-process scratch folder, removed at exit.
struct Scratch {
  std::string dir =
      (stdfs::temp_directory_path() / ("swift_hostile_" + std::to_string(::getpid()))).string();
  Scratch() {
    stdfs::remove_all(dir);
    stdfs::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    stdfs::remove_all(dir, ec);
  }
};

const std::string& scratch() {
  static Scratch s;
  return s.dir;
}

std::string fresh_dir(const std::string& name) {
  const std::string d = scratch() + "/" + name;
  stdfs::remove_all(d);
  stdfs::create_directories(d);
  return d;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Text no user may ever see: raw library exceptions, stack traces, "unexpected error".
void expect_clean_message(const std::string& msg) {
  for (const char* bad : {"json.exception", "unexpected error", "std::bad_alloc",
                          "Exception raised from", "terminate called", "basic_string"})
    EXPECT_EQ(msg.find(bad), std::string::npos) << "'" << bad << "' in: " << msg;
}

// Runs `f`, which must throw swift::Error within `seconds`; returns the message. SIGALRM ends
// the process if `f` blocks (a FIFO opened for reading waits for a writer forever).
std::string must_fail(const std::function<void()>& f, double seconds = 20) {
  ::alarm(static_cast<unsigned>(seconds * 3 + 30));  // sanitizer builds are slower
  const auto t0 = std::chrono::steady_clock::now();
  std::string msg;
  try {
    f();
    ADD_FAILURE() << "no error was raised";
  } catch (const swift::Error& e) {
    msg = e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "a non-swift exception escaped: " << e.what();
  }
  ::alarm(0);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, seconds) << msg;
  expect_clean_message(msg);
  return msg;
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string deep_array(int n) {
  return std::string(static_cast<std::size_t>(n), '[') +
         std::string(static_cast<std::size_t>(n), ']');
}

std::string deep_object(int n) {
  std::string s;
  s.reserve(static_cast<std::size_t>(n) * 7);
  for (int i = 0; i < n; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(static_cast<std::size_t>(n), '}');
  return s;
}

// ---- depth bombs: one per JSON file kind, plus YAML, Jinja and protobuf ----------------------

TEST(HostileDepth, ModelConfigJson) {
  const std::string d = fresh_dir("deep_config");
  write(d + "/config.json", "{\"x\": " + deep_array(kDeep) + "}");
  auto m = must_fail([&] { swift::io::load_hf_config(d); });
  EXPECT_TRUE(has(m, "config.json") && has(m, "nests deeper")) << m;
  write(d + "/config.json", deep_object(kDeep));
  m = must_fail([&] { swift::io::load_hf_config(d); });
  EXPECT_TRUE(has(m, "nests deeper")) << m;
}

TEST(HostileDepth, GenerationConfigJson) {
  const std::string d = fresh_dir("deep_gen");
  write(d + "/generation_config.json", deep_object(kDeep));
  auto m = must_fail([&] { swift::io::load_generation_config(d); });
  EXPECT_TRUE(has(m, "generation_config.json")) << m;
}

TEST(HostileDepth, TokenizerJsonNormalizerSequence) {
  // The review's crash: a normalizer Sequence nested ~50,000 deep.
  const std::string d = fresh_dir("deep_tok");
  std::string norm;
  for (int i = 0; i < 50000; ++i) norm += "{\"type\":\"Sequence\",\"normalizers\":[";
  norm += "{\"type\":\"Lowercase\"}";
  for (int i = 0; i < 50000; ++i) norm += "]}";
  write(d + "/tokenizer.json", "{\"version\":\"1.0\",\"normalizer\":" + norm +
                                   ",\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"a\":0},"
                                   "\"unk_token\":\"a\"}}");
  auto m = must_fail([&] { swift::tok::Tokenizer::from_dir(d); });
  EXPECT_TRUE(has(m, "tokenizer.json") && has(m, "nests deeper")) << m;
}

TEST(HostileDepth, TokenizerConfigJson) {
  const std::string d = fresh_dir("deep_tokcfg");
  write(d + "/tokenizer.json",
        "{\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"a\":0},\"unk_token\":\"a\"}}");
  write(d + "/tokenizer_config.json", "{\"x\":" + deep_array(kDeep) + "}");
  auto m = must_fail([&] { swift::tok::Tokenizer::from_dir(d); });
  EXPECT_TRUE(has(m, "tokenizer_config.json")) << m;
}

TEST(HostileDepth, AdapterConfigJson) {
  const std::string d = fresh_dir("deep_adapter");
  write(d + "/adapter_config.json", deep_object(kDeep));
  auto m = must_fail([&] { swift::io::read_adapter_config(d); });
  EXPECT_TRUE(has(m, "adapter_config.json")) << m;
}

TEST(HostileDepth, SafetensorsIndexJson) {
  const std::string d = fresh_dir("deep_index");
  write(d + "/model.safetensors.index.json", "{\"weight_map\":" + deep_array(kDeep) + "}");
  auto m = must_fail([&] { swift::io::SafetensorsModel st(d); });
  EXPECT_TRUE(has(m, "index")) << m;
}

TEST(HostileDepth, SafetensorsHeader) {
  const std::string d = fresh_dir("deep_st");
  const std::string header = "{\"__metadata__\":" + deep_array(kDeep) + "}";
  std::string bytes(8, '\0');
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  write(d + "/model.safetensors", bytes + header);
  must_fail([&] { swift::io::SafetensorsFile f(d + "/model.safetensors"); });
}

TEST(HostileDepth, ConfigFileJsonAndYaml) {
  const std::string d = fresh_dir("deep_cfgfile");
  write(d + "/c.json", "{\"model\":" + deep_array(kDeep) + "}");
  auto m = must_fail([&] { swift::args::load_config_file(d + "/c.json"); });
  EXPECT_TRUE(has(m, "c.json")) << m;
  write(d + "/c.yaml", "model: " + deep_array(kDeep) + "\n");
  m = must_fail([&] { swift::args::load_config_file(d + "/c.yaml"); });
  EXPECT_TRUE(has(m, "c.yaml")) << m;
  std::string flow_map = "model: ";
  for (int i = 0; i < kDeep; ++i) flow_map += "{a: ";
  flow_map += "1" + std::string(kDeep, '}') + "\n";
  write(d + "/m.yaml", flow_map);
  must_fail([&] { swift::args::load_config_file(d + "/m.yaml"); });
}

TEST(HostileDepth, DatasetRows) {
  const std::string d = fresh_dir("deep_rows");
  write(d + "/rows.jsonl", "{\"messages\":" + deep_array(kDeep) + "}\n");
  // A deep row is a bad row (counted), never a crash.
  auto rows = swift::dataset::read_rows(d + "/rows.jsonl");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].contains("__swift_error__"));
  write(d + "/rows.json", "[" + deep_object(kDeep) + "]");
  rows = swift::dataset::read_rows(d + "/rows.json");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].contains("__swift_error__"));
}

TEST(HostileDepth, JinjaTemplate) {
  std::string expr = std::string(kDeep, '(') + "1" + std::string(kDeep, ')');
  must_fail([&] { swift::jinja::render("{{ " + expr + " }}", nlohmann::ordered_json::object()); });
  std::string blocks;
  for (int i = 0; i < kDeep; ++i) blocks += "{% if true %}";
  for (int i = 0; i < kDeep; ++i) blocks += "{% endif %}";
  must_fail([&] { swift::jinja::render(blocks, nlohmann::ordered_json::object()); });
}

TEST(HostileDepth, SentencePieceProtobufGroups) {
  // Start-group tags (wire type 3) nested 10^5 deep, and a length-delimited field nested in
  // itself: the reader must skip or refuse them without recursion.
  std::string groups;
  for (int i = 0; i < kDeep; ++i) groups += static_cast<char>((9 << 3) | 3);
  must_fail([&] { swift::tok::spm::parse_model_proto(groups, "groups.model"); });
  std::string nested = "x";
  for (int i = 0; i < 2000; ++i) {
    std::string len;
    std::uint64_t n = nested.size();
    do {
      len += static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>= 7;
    } while (n);
    nested = std::string(1, static_cast<char>((1 << 3) | 2)) + len + nested;
  }
  must_fail([&] { swift::tok::spm::parse_model_proto(nested, "nested.model"); });
}

// ---- expansion bombs --------------------------------------------------------------------------

TEST(HostileExpansion, YamlBillionLaughs) {
  const std::string d = fresh_dir("laughs");
  std::string y =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  const char* names = "abcdefghij";
  for (int i = 1; i < 10; ++i) {
    y += std::string(1, names[i]) + ": &" + names[i] + " [";
    for (int k = 0; k < 9; ++k) y += std::string(k ? "," : "") + "*" + names[i - 1];
    y += "]\n";
  }
  write(d + "/bomb.yaml", y);
  auto m = must_fail([&] { swift::args::load_config_file(d + "/bomb.yaml"); }, 10);
  EXPECT_TRUE(has(m, "expands to more than")) << m;
}

TEST(HostileExpansion, YamlMergeKeyBomb) {
  const std::string d = fresh_dir("merge_bomb");
  std::string y = "a0: &a0 {x: 1, y: 2, z: 3, w: 4, v: 5, u: 6, t: 7, s: 8}\n";
  for (int i = 1; i < 12; ++i) {
    const std::string p = "a" + std::to_string(i - 1);
    y += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " {<<: *" + p + ", k1: *" + p +
         ", k2: *" + p + ", k3: *" + p + ", k4: *" + p + ", k5: *" + p + ", k6: *" + p + "}\n";
  }
  write(d + "/merge.yaml", y);
  auto m = must_fail([&] { swift::args::load_config_file(d + "/merge.yaml"); }, 10);
  EXPECT_TRUE(has(m, "expands to more than")) << m;
}

TEST(HostileExpansion, HugeSampleCountIsRefusedBeforeCopying) {
  std::vector<nlohmann::ordered_json> rows(
      3, nlohmann::ordered_json{{"query", "q"}, {"response", "r"}});
  auto m = must_fail([&] { swift::dataset::sample_rows(rows, 100000000000LL, true, 1); }, 5);
  EXPECT_TRUE(has(m, "#100000000000")) << m;
  EXPECT_EQ(swift::dataset::sample_rows(rows, 7, true, 1).size(), 7u);  // normal use unchanged
}

// ---- FIFOs, devices, directories and broken links where a file is expected ---------------------

TEST(HostileFiles, FifoNeverBlocks) {
  const std::string d = fresh_dir("fifo");
  for (const char* name : {"config.json", "tokenizer.json", "adapter_config.json", "c.yaml",
                           "rows.jsonl", "model.safetensors", "tokenizer.model"})
    ASSERT_EQ(::mkfifo((d + "/" + name).c_str(), 0644), 0);
  auto fifo = [](const std::string& m) { return has(m, "FIFO") && !has(m, "not found"); };
  EXPECT_TRUE(fifo(must_fail([&] { swift::io::load_hf_config(d); }, 5)));
  EXPECT_TRUE(fifo(must_fail([&] { swift::tok::Tokenizer::from_dir(d); }, 5)));
  EXPECT_TRUE(fifo(must_fail([&] { swift::io::read_adapter_config(d); }, 5)));
  EXPECT_TRUE(fifo(must_fail([&] { swift::args::load_config_file(d + "/c.yaml"); }, 5)));
  EXPECT_TRUE(fifo(must_fail([&] { swift::dataset::read_rows(d + "/rows.jsonl"); }, 5)));
  EXPECT_TRUE(fifo(must_fail([&] { swift::io::SafetensorsFile f(d + "/model.safetensors"); }, 5)));
  EXPECT_TRUE(
      fifo(must_fail([&] { swift::tok::spm::read_model_proto(d + "/tokenizer.model"); }, 5)));
  EXPECT_TRUE(fifo(must_fail([&] { swift::fs::read_file(d + "/config.json"); }, 5)));
}

TEST(HostileFiles, KindsAreNamed) {
  const std::string d = fresh_dir("kinds");
  stdfs::create_directories(d + "/config.json");  // a directory where a file should be
  auto m = must_fail([&] { swift::io::load_hf_config(d); });
  EXPECT_TRUE(has(m, "a directory")) << m;
  stdfs::remove_all(d + "/config.json");
  stdfs::create_symlink(d + "/nowhere.json", d + "/config.json");
  m = must_fail([&] { swift::io::load_hf_config(d); });
  EXPECT_TRUE(has(m, "broken symlink")) << m;
  stdfs::remove(d + "/config.json");
  m = must_fail([&] { swift::io::load_hf_config(d); });
  EXPECT_TRUE(has(m, "not found")) << m;
  // A character device: refused by kind, not read forever.
  m = must_fail([&] { swift::fs::read_file("/dev/zero"); }, 5);
  EXPECT_TRUE(has(m, "character device")) << m;
  m = must_fail([&] { swift::fs::MappedFile f("/dev/zero"); }, 5);
  EXPECT_TRUE(has(m, "character device")) << m;
}

TEST(HostileFiles, SizeLimitIsEnforcedBeforeReading) {
  const std::string d = fresh_dir("size");
  write(d + "/big.json", std::string(1 << 20, ' '));
  auto m = must_fail([&] { swift::fs::read_file(d + "/big.json", 1000); });
  EXPECT_TRUE(has(m, "bytes")) << m;
}

// ---- text that is not UTF-8 or not text --------------------------------------------------------

TEST(HostileText, InvalidUtf8IsNamedAsSuch) {
  const std::string d = fresh_dir("utf8");
  write(d + "/config.json", "{\n\"model_type\": \"qw\xC3\x28n\"}");
  auto m = must_fail([&] { swift::io::load_hf_config(d); });
  EXPECT_TRUE(has(m, "not valid UTF-8 at line 2")) << m;
  for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xFF"})
    EXPECT_NE(swift::str::utf8_error_offset(std::string("ok ") + bad), std::string::npos) << bad;
  EXPECT_EQ(swift::str::utf8_error_offset("h\xC3\xA9llo \xF0\x9F\x98\x80 \xE4\xB8\xAD"),
            std::string::npos);
  write(d + "/config.json", std::string("{\"a\": 1}\0garbage", 16));
  m = must_fail([&] { swift::io::load_hf_config(d); });
  EXPECT_TRUE(has(m, "NUL")) << m;
  write(d + "/rows.jsonl", "{\"query\": \"a\xFF\"}\n{\"query\": \"b\", \"response\": \"c\"}\n");
  auto rows = swift::dataset::read_rows(d + "/rows.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_TRUE(rows[0].contains("__swift_error__"));
  EXPECT_TRUE(has(rows[0]["__swift_error__"].get<std::string>(), "UTF-8"));
}

// ---- wrongly typed fields ----------------------------------------------------------------------

TEST(HostileFields, AdapterConfigFieldsAreChecked) {
  const std::string d = fresh_dir("adapter_fields");
  const std::pair<const char*, const char*> cases[] = {
      {R"({"r": "abc"})", "'r'"},
      {R"({"r": 0})", "'r'"},
      {R"({"r": 2.5})", "'r'"},
      {R"({"r": 1e12})", "'r'"},
      {R"({"lora_alpha": "x"})", "'lora_alpha'"},
      {R"({"use_dora": "yes"})", "'use_dora'"},
      {R"({"use_rslora": 1})", "'use_rslora'"},
      {R"({"rank_pattern": {"q_proj": -4}})", "rank_pattern"},
      {R"({"alpha_pattern": []})", "'alpha_pattern'"},
      {R"({"target_modules": 5})", "'target_modules'"},
      {R"({"target_parameters": [1]})", "'target_parameters'"},
      {R"({"peft_type": 3})", "'peft_type'"},
      {R"([1, 2])", "JSON object"},
  };
  for (const auto& [text, field] : cases) {
    write(d + "/adapter_config.json", text);
    auto m = must_fail([&] { swift::io::read_adapter_config(d); });
    EXPECT_TRUE(has(m, field) && has(m, "adapter_config.json")) << text << " -> " << m;
  }
  write(d + "/adapter_config.json",
        R"({"r": 8, "lora_alpha": 16, "rank_pattern": {"q_proj": 4, "model.layers.1.k_proj": 2}})");
  const auto cfg = swift::io::read_adapter_config(d);
  EXPECT_EQ(cfg.rank_for("model.layers.0.self_attn.q_proj"), 4);
  EXPECT_EQ(cfg.rank_for("model.layers.0.self_attn.xq_proj"), 8);  // a name boundary, not a suffix
  EXPECT_EQ(cfg.rank_for("model.layers.1.k_proj"), 2);
  EXPECT_DOUBLE_EQ(cfg.scaling_for("model.layers.0.self_attn.q_proj"), 4.0);
}

TEST(HostileFields, TokenizerConfigIsBlamedForItsOwnErrors) {
  const std::string d = fresh_dir("tokcfg_blame");
  write(d + "/tokenizer.json",
        "{\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"a\":0,\"b\":1},\"unk_token\":\"a\"}}");
  write(d + "/tokenizer_config.json", R"({"added_tokens_decoder": {"1": {"content": 7}}})");
  auto m = must_fail([&] { swift::tok::Tokenizer::from_dir(d); });
  EXPECT_TRUE(has(m, "tokenizer_config.json")) << m;
  EXPECT_FALSE(has(m, "tokenizer.json has")) << m;
}

// ---- Jinja integer edge cases (Python ints are unbounded; ours are 64-bit and say so) ---------

std::string render(const std::string& tpl) {
  return swift::jinja::render(tpl, nlohmann::ordered_json::object());
}

TEST(HostileJinja, IntegerEdges) {
  EXPECT_EQ(render("{{ range(9223372036854775800, 9223372036854775807)|list|length }}"), "7");
  EXPECT_EQ(render("{{ range(9223372036854775806, 9223372036854775807)|list }}"),
            "[9223372036854775806]");
  EXPECT_EQ(render("{{ range(-9223372036854775807 - 1, 9223372036854775807, "
                   "4611686018427387904)|list }}"),
            "[-9223372036854775808, -4611686018427387904, 0, 4611686018427387904]");
  EXPECT_EQ(render("{{ range(9223372036854775807, -9223372036854775807 - 1, "
                   "-4611686018427387904)|list|length }}"),
            "4");
  auto m =
      must_fail([&] { render("{{ range(-9223372036854775807 - 1, 9223372036854775807)|list }}"); });
  EXPECT_TRUE(has(m, "range too big")) << m;
  m = must_fail([&] { render("{{ [9223372036854775807, 1]|sum }}"); });
  EXPECT_TRUE(has(m, "overflow")) << m;
  EXPECT_EQ(render("{{ [9223372036854775806, 1]|sum }}"), "9223372036854775807");
  m = must_fail([&] { render("{{ 1e300|int }}"); });
  EXPECT_TRUE(has(m, "64 bits")) << m;
  must_fail([&] { render("{{ (1e300 * 1e300)|int }}"); });
  must_fail([&] { render("{{ '%d'|format(1e300) }}"); });
  must_fail([&] { render("{{ 'ab'|truncate(1e300) }}"); });
  EXPECT_EQ(render("{{ 1e18|int }}"), "1000000000000000000");
  EXPECT_EQ(render("{{ -2.7|int }}"), "-2");
  EXPECT_EQ(render("{{ '1e300'|int(5) }}"), "5");
}

TEST(HostileJinja, UnclosedBlocksNameTheirEnd) {
  auto m = must_fail([&] { render("{% for x in [1] %}{{ x }}"); });
  EXPECT_TRUE(has(m, "endfor")) << m;
  m = must_fail([&] { render("{% if true %}a{% else %}b"); });
  EXPECT_TRUE(has(m, "endif")) << m;
  m = must_fail([&] { render("{% macro f() %}a"); });
  EXPECT_TRUE(has(m, "endmacro")) << m;
}

}  // namespace
