// `swift infer`: interactive chat (streaming, multi-line / single-line, reset-system, clear,
// exit) or batch inference over --val_dataset into a result jsonl, through the
// continuous-batching engine (src/infer/engine.h), as ms-swift's infer pipeline does.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "args/arguments.h"
#include "commands.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "dataset/dataset.h"
#include "dataset/hub_source.h"
#include "infer/chat.h"
#include "infer/engine.h"
#include "infer/session.h"
#include "tokenizer/tokenizer.h"

namespace swift::cli {

namespace {

using OJson = nlohmann::ordered_json;

// Streamed deltas with the answer's leading newlines dropped when the template asks for it
// (glm4), so the printed stream equals the saved response.
class DeltaPrinter {
 public:
  explicit DeltaPrinter(bool strip) : at_start_(strip) {}
  void print(const std::string& text) {
    std::string_view t = text;
    if (at_start_) {
      const std::size_t k = t.find_first_not_of('\n');
      if (k == std::string_view::npos) return;
      t = t.substr(k);
      at_start_ = false;
    }
    std::fwrite(t.data(), 1, t.size(), stdout);
    std::fflush(stdout);
  }

 private:
  bool at_start_;
};

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
  return buf;
}

// Appends rows to the result file, whole lines per chunk, flushed.
class ResultWriter {
 public:
  explicit ResultWriter(std::string path) : path_(std::move(path)) {
    auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
  }
  void write(const std::vector<OJson>& rows) {
    if (rows.empty()) return;
    std::string buf;
    for (const auto& r : rows)
      buf += r.dump(-1, ' ', false, OJson::error_handler_t::replace) + "\n";
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    SWIFT_CHECK(out.good(), "[infer] cannot open the result file {} for writing", path_);
    out << buf;
    out.flush();
    SWIFT_CHECK(out.good(), "[infer] writing {} failed (disk full?)", path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

using infer::Session;

infer::GenerationRequest request_for(const Session& s,
                                     const OJson& messages,
                                     const OJson& tools = nullptr) {
  return s.request(messages, tools);
}

OJson logprobs_json(const Session& s, const infer::Choice& c) {
  return s.logprobs ? OJson(infer::openai_logprobs(*s.tok, c)) : OJson(nullptr);
}

std::string content_text(const OJson& m) {
  return m.contains("content") && m["content"].is_string() ? m["content"].get<std::string>() : "";
}

int run_dataset(Session& s, const args::Arguments& a, ResultWriter& out, bool stream) {
  dataset::LoadOptions lo;
  lo.strict = a.data.strict;
  lo.seed = static_cast<std::uint64_t>(a.data.data_seed);
  lo.shuffle = a.data.val_dataset_shuffle;
  lo.columns = a.data.columns.is_null()
                   ? OJson()
                   : OJson::parse(a.data.columns.dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace));
  lo = dataset::load_options_with_hub(lo, a.base.use_hf, a.data.model_name, a.data.model_author);
  std::vector<OJson> rows;
  for (const auto& word : a.data.val_dataset) {
    dataset::LoadStats st;
    auto part = dataset::load_dataset(word, lo, &st);
    SWIFT_INFO("val_dataset {}: {} rows", word, part.size());
    rows.insert(rows.end(), part.begin(), part.end());
  }
  if (a.infer.val_dataset_sample && *a.infer.val_dataset_sample >= 0 &&
      static_cast<std::size_t>(*a.infer.val_dataset_sample) < rows.size())
    rows.resize(static_cast<std::size_t>(*a.infer.val_dataset_sample));
  SWIFT_CHECK(!rows.empty(), "[infer] --val_dataset holds no rows");

  // Every prompt is built (and checked) before anything runs.
  std::vector<OJson> labels(rows.size());
  std::vector<infer::GenerationRequest> requests;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& msgs = rows[i]["messages"];
    if (!msgs.empty() && msgs.back().value("role", "") == "assistant") {
      labels[i] = content_text(msgs.back());
      msgs.erase(msgs.size() - 1);
    }
    try {
      requests.push_back(request_for(s, msgs, rows[i].value("tools", OJson(nullptr))));
    } catch (const swift::Error& e) {
      SWIFT_FAIL("[infer] val_dataset row {}: {}", i + 1, e.what());
    }
  }
  const std::int64_t chunk = a.infer.write_batch_size > 0 ? a.infer.write_batch_size
                                                          : static_cast<std::int64_t>(rows.size());
  std::vector<OJson> pending;
  std::vector<std::uint64_t> ids(rows.size());
  std::vector<bool> done(rows.size(), false);
  auto finish_row = [&](std::size_t i, const infer::GenerationResult& r) {
    const auto& c = r.choices[0];
    const std::string text = s.answer_text(c.text);
    OJson row = rows[i];
    row["messages"].push_back(OJson{{"role", "assistant"}, {"content", text}});
    OJson result{{"response", text}, {"labels", labels[i]}, {"logprobs", logprobs_json(s, c)}};
    for (auto it = row.begin(); it != row.end(); ++it)
      if (!result.contains(it.key())) result[it.key()] = it.value();
    rows[i] = std::move(result);
    done[i] = true;
  };
  // Rows are printed and written in dataset order as soon as they and every row before them
  // have finished, in chunks of --write_batch_size, so a long run keeps what it has done.
  std::size_t next = 0;
  auto drain = [&]() {
    while (next < rows.size()) {
      if (!done[next]) {
        if (stream || !s.engine->finished(ids[next])) break;
        finish_row(next, s.engine->take_result(ids[next]));
      }
      const auto& row = rows[next];
      if (!stream) {
        std::printf("[QUERY] %s\n",
                    content_text(row["messages"][row["messages"].size() - 2]).c_str());
        if (!labels[next].is_null())
          std::printf("[LABELS] %s\n", labels[next].get<std::string>().c_str());
        std::printf("[RESPONSE] %s\n%s\n", row["response"].get<std::string>().c_str(),
                    std::string(50, '-').c_str());
      }
      pending.push_back(row);
      ++next;
      if (static_cast<std::int64_t>(pending.size()) >= chunk) {
        std::fflush(stdout);
        out.write(pending);
        pending.clear();
      }
    }
  };
  // Streamed output needs one request at a time; otherwise everything is queued and the
  // engine batches up to --max_batch_size sequences.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (stream) {
      std::printf("[QUERY] %s\n[RESPONSE] ", content_text(rows[i]["messages"].back()).c_str());
      std::fflush(stdout);
      auto printer = std::make_shared<DeltaPrinter>(s.chat->strip_leading_newlines());
      ids[i] = s.engine->submit(requests[i],
                                [printer](const infer::StreamDelta& d) { printer->print(d.text); });
      s.engine->run();
      std::printf("\n");
      finish_row(i, s.engine->take_result(ids[i]));
      drain();
    } else {
      ids[i] = s.engine->submit(requests[i]);
    }
  }
  if (!stream) {
    while (s.engine->step()) drain();
    drain();
  }
  SWIFT_CHECK(next == rows.size(), "[infer] {} of {} rows did not finish", rows.size() - next,
              rows.size());
  out.write(pending);
  std::fflush(stdout);
  SWIFT_INFO("The inference results have been saved to result_path: {}", out.path());
  return 0;
}

int run_interactive(Session& s, const args::Arguments& a, ResultWriter* out, bool stream) {
  std::optional<std::string> system = a.tmpl.system;
  OJson history = OJson::array();
  bool multi_line = false;
  std::printf(
      "Input `exit` or `quit` to exit the conversation.\n"
      "Input `multi-line` to switch to multi-line input mode (end with `#`).\n"
      "Input `reset-system` to reset the system and clear the history.\n"
      "Input `clear` to clear the history.\n");
  auto read_input = [&](const char* prompt, std::string* text) -> bool {
    std::printf("%s", prompt);
    std::fflush(stdout);
    text->clear();
    std::string line;
    if (!multi_line) return static_cast<bool>(std::getline(std::cin, *text));
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '#') {
        *text += line.substr(0, line.size() - 1);
        return true;
      }
      *text += line + "\n";
    }
    return !text->empty();
  };
  std::string query;
  auto trim = [](const std::string& t) {
    auto b = t.find_first_not_of(" \t\r\n");
    auto e = t.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : t.substr(b, e - b + 1);
  };
  while (read_input(multi_line ? "<<<[M] " : "<<< ", &query)) {
    const std::string command = trim(query);
    if (command == "exit" || command == "quit") break;
    if (command == "multi-line") {
      multi_line = true;
      std::printf("The current mode is multi-line.\n");
      continue;
    }
    if (command == "single-line") {
      multi_line = false;
      std::printf("The current mode is single-line.\n");
      continue;
    }
    if (command == "clear") {
      history = OJson::array();
      continue;
    }
    if (command == "reset-system") {
      std::string sys;
      if (!read_input("<<<[S] ", &sys)) break;
      system = sys == "default-system" ? a.tmpl.system : std::optional<std::string>(sys);
      history = OJson::array();
      continue;
    }
    if (command.empty()) continue;
    OJson messages = OJson::array();
    if (system) messages.push_back(OJson{{"role", "system"}, {"content", *system}});
    for (const auto& m : history) messages.push_back(m);
    messages.push_back(OJson{{"role", "user"}, {"content", query}});
    // A turn that fails (too long for max_model_len, a template error) is reported and
    // dropped; the session and its history go on.
    infer::GenerationResult res;
    std::optional<std::uint64_t> id;
    try {
      infer::GenerationRequest r = request_for(s, messages);
      DeltaPrinter printer(s.chat->strip_leading_newlines());
      id = s.engine->submit(r, [&](const infer::StreamDelta& d) {
        if (stream) printer.print(d.text);
      });
      s.engine->run();
      res = s.engine->take_result(*id);
    } catch (const swift::Error& e) {
      std::fprintf(stderr, "[ERROR:swift] %s\n", e.what());
      if (id) {
        try {  // free the failed request's KV blocks before the next turn
          s.engine->cancel(*id);
          s.engine->run();
          s.engine->take_result(*id);
        } catch (const swift::Error&) {
        }
      }
      std::fprintf(stderr,
                   "[INFO:swift] that turn was not added; the history (%zu earlier turns) is "
                   "kept. Input `clear` to start over.\n",
                   history.size() / 2);
      continue;
    }
    const std::string text = s.answer_text(res.choices[0].text);
    if (!stream) std::printf("%s", text.c_str());
    std::printf("\n");
    history.push_back(OJson{{"role", "user"}, {"content", query}});
    history.push_back(OJson{{"role", "assistant"}, {"content", text}});
    if (out) {
      messages.push_back(OJson{{"role", "assistant"}, {"content", text}});
      out->write({OJson{{"response", text}, {"messages", messages}}});
    }
  }
  return 0;
}

}  // namespace

int run_infer(const std::vector<std::string>& argv) {
  auto parsed = args::parse_args("infer", argv);
  if (parsed->help)
    return print_help(*parsed, "usage: swift infer [config.yaml] [--arg value ...]");
  args::Arguments& a = parsed->values;
  infer::SessionPlan plan = infer::plan_session(a);
  if (parsed->show_args) return print_resolved_args(*parsed);
  infer::SessionOptions so;
  so.max_num_seqs = a.infer.max_batch_size;
  auto session = infer::open_session(a, plan, so);
  Session& s = *session;
  const std::optional<std::string>& ckpt_dir = plan.ckpt_dir;

  const bool interactive = a.data.val_dataset.empty();
  const bool stream = a.generation.stream.value_or(interactive);
  std::string result_path;
  if (a.infer.result_path) {
    result_path = *a.infer.result_path;
  } else if (!interactive) {
    std::string base =
        ckpt_dir ? *ckpt_dir : fs::join("result", args::model_suffix(*a.model.model));
    result_path = fs::join(fs::join(base, "infer_result"), timestamp() + ".jsonl");
  }
  if (interactive) {
    std::unique_ptr<ResultWriter> out;
    if (!result_path.empty()) out = std::make_unique<ResultWriter>(result_path);
    return run_interactive(s, a, out.get(), stream);
  }
  ResultWriter out(result_path);
  return run_dataset(s, a, out, stream);
}

}  // namespace swift::cli
