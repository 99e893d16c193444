// Black-box tests of `swift deploy` as a client sees it, on the qwen3 e2e fixture model (tiny
// random weights, the real Qwen3 tokenizer; skipped without the test assets): greedy answers
// equal transformers' (the goldens `swift infer` is held to), whole and streamed, for chat and
// completions, n choices, logprobs, a LoRA adapter by name; every abuse of the reliability
// battery gets its 4xx and an OpenAI error body, never a crash; 64 concurrent streams equal the
// same requests one by one; a client that disconnects mid-stream gets its KV blocks back; a
// full queue is a 503 with Retry-After; SIGTERM exits 0.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>
#include <vector>

#include "common/e2e_model.h"
#include "common/jsonl.h"
#include "common/run_command.h"
#include "common/test_util.h"

namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::string kKey = "sk-test-key";
const std::string kEnv = "env -u NPROC_PER_NODE -u WORLD_SIZE -u NNODES HF_HUB_OFFLINE=1 ";

// A `swift deploy` child process on a free port.
struct ServerProc {
  pid_t pid = -1;
  int port = 0;
  std::string log;

  bool start(const std::string& args, const std::string& log_path) {
    log = log_path;
    pid = fork();
    if (pid == 0) {
      const std::string cmd = "exec " + kEnv + std::string(SWIFT_BIN) + " deploy --port 0 " + args +
                              " > " + log_path + " 2>&1";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const std::regex re(R"(serving \S+ at https?://[^:]+:(\d+)/v1)");
    for (int i = 0; i < 600; ++i) {  // up to 60 s for the model to load
      std::smatch m;
      const std::string text = swift::testing::read_file(log_path);
      if (std::regex_search(text, m, re)) {
        port = std::stoi(m[1]);
        return true;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // SIGTERM; the exit status (-1: did not exit within `seconds`).
  int stop(int seconds = 30) {
    if (pid <= 0) return -1;
    kill(pid, SIGTERM);
    for (int i = 0; i < seconds * 10; ++i) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    pid = -1;
    return -1;
  }
  ~ServerProc() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

// A raw TCP connection to 127.0.0.1:port (for half-sent requests and abrupt closes); -1 on
// failure.
int connect_local(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

httplib::Headers auth() {
  return {{"Authorization", "Bearer " + kKey}};
}

struct Sse {
  std::vector<json> events;
  bool done = false;
  std::string raw;
};

Sse parse_sse(const std::string& body) {
  Sse s;
  s.raw = body;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    const std::string ev = body.substr(pos, end - pos);
    pos = end + 2;
    if (ev.rfind("data: ", 0) != 0) continue;  // comments (keep-alive)
    const std::string data = ev.substr(6);
    if (data == "[DONE]") {
      s.done = true;
      continue;
    }
    s.events.push_back(json::parse(data));
  }
  return s;
}

class Deploy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = swift::testing::fresh_dir("swift_test_cli_deploy", "suite");
    model_ = swift::testing::e2e_model_dir("qwen3_e2e", "qwen3");
    if (model_.empty()) return;
    goldens_ = swift::testing::read_jsonl(model_ + "/e2e_golden.jsonl");
    // A LoRA adapter trained for two steps, served by name.
    const std::string data =
        std::string(SWIFT_SOURCE_DIR) + "/tests/data/demo/self_cognition.jsonl";
    auto r = swift::testing::run_command(
        kEnv + std::string(SWIFT_BIN) + " sft --model " + model_ + " --dataset " + data +
        " --output_dir " + dir_ + "/sft --max_steps 2 --save_steps 2 --learning_rate 5e-2" +
        " --lora_rank 4 --split_dataset_ratio 0 --seed 1 --add_version false 2>&1");
    if (r.code == 0)
      adapter_ = dir_ + "/sft/checkpoint-2";
    else
      std::fprintf(stderr, "sft failed:\n%s\n", r.out.c_str());
    server_ = new ServerProc();
    std::string args = "--model " + model_ + " --served_model_name qwen3_e2e --api_key " + kKey +
                       " --temperature 0 --max_new_tokens 16 --max_model_len 256 --log_interval 1"
                       " --verbose false --result_path " +
                       dir_ + "/requests.jsonl";
    if (!adapter_.empty()) args += " --adapters lora1=" + adapter_;
    if (!server_->start(args, dir_ + "/server.log")) {
      std::fprintf(stderr, "server did not start:\n%s\n",
                   swift::testing::read_file(dir_ + "/server.log").c_str());
      delete server_;
      server_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << swift::testing::read_file(server_->log);
      delete server_;
      server_ = nullptr;
    }
    if (!dir_.empty()) stdfs::remove_all(dir_);
  }
  void SetUp() override {
    if (model_.empty()) GTEST_SKIP() << "no qwen3 tokenizer asset (scripts/fetch-test-assets.sh)";
    ASSERT_NE(server_, nullptr) << "the server did not start";
  }
  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port);
    c.set_read_timeout(60, 0);
    return c;
  }
  static httplib::Result post(const std::string& path,
                              const json& body,
                              httplib::Headers h = auth()) {
    return client().Post(path.c_str(), h, body.dump(), "application/json");
  }
  static json chat(const json& messages, json extra = json::object()) {
    json body{{"model", "qwen3_e2e"}, {"messages", messages}};
    for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
    return body;
  }
  static std::string stream_text(const Sse& s, int choice = 0) {
    std::string t;
    for (const auto& e : s.events)
      for (const auto& c : e["choices"])
        if (c["index"] == choice && c.contains("delta") && c["delta"].contains("content") &&
            c["delta"]["content"].is_string())
          t += c["delta"]["content"].get<std::string>();
    return t;
  }
  static void expect_error(const httplib::Result& r, int status, const std::string& what) {
    ASSERT_TRUE(r) << what << ": no response";
    EXPECT_EQ(r->status, status) << what << ": " << r->body;
    json j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << what << ": " << r->body;
    EXPECT_TRUE(j["error"]["message"].is_string()) << what;
    EXPECT_TRUE(j["error"]["type"].is_string()) << what;
    EXPECT_TRUE(j["error"].contains("param") && j["error"].contains("code")) << what;
  }
  static std::string kv_used() {
    auto r = client().Get("/metrics", auth());
    if (!r) return "?";
    std::smatch m;
    static const std::regex re(R"(swift:kv_cache_blocks_used\{[^}]*\} (\S+))");
    return std::regex_search(r->body, m, re) ? std::string(m[1]) : "?";
  }

  static std::string dir_, model_, adapter_;
  static std::vector<json> goldens_;
  static ServerProc* server_;
};
std::string Deploy::dir_, Deploy::model_, Deploy::adapter_;
std::vector<json> Deploy::goldens_;
ServerProc* Deploy::server_ = nullptr;

TEST_F(Deploy, ChatAnswersEqualTransformersGreedy) {
  for (std::size_t i = 0; i < goldens_.size(); ++i) {
    SCOPED_TRACE("golden " + std::to_string(i));
    auto r = post("/v1/chat/completions", chat(goldens_[i]["messages"]));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["object"], "chat.completion");
    EXPECT_EQ(j["model"], "qwen3_e2e");
    EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
    EXPECT_EQ(j["choices"][0]["message"]["content"], goldens_[i]["response"]);
    EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(j["usage"]["prompt_tokens"], goldens_[i]["prompt_ids"].size());
    EXPECT_EQ(j["usage"]["completion_tokens"], 16);
  }
}

TEST_F(Deploy, StreamedChatEqualsTheWholeAnswer) {
  for (std::size_t i = 0; i < goldens_.size(); ++i) {
    SCOPED_TRACE("golden " + std::to_string(i));
    auto r = post("/v1/chat/completions",
                  chat(goldens_[i]["messages"],
                       {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
    Sse s = parse_sse(r->body);
    EXPECT_TRUE(s.done) << "no data: [DONE]";
    ASSERT_GE(s.events.size(), 3u);
    EXPECT_EQ(s.events[0]["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(stream_text(s), goldens_[i]["response"]);
    const json& last = s.events.back();
    EXPECT_TRUE(last["choices"].empty());
    EXPECT_EQ(last["usage"]["completion_tokens"], 16);
    bool finished = false;
    for (const auto& e : s.events)
      for (const auto& c : e["choices"])
        if (c["finish_reason"] == "length") finished = true;
    EXPECT_TRUE(finished);
  }
}

TEST_F(Deploy, CompletionsNChoicesLogprobsAndSeeds) {
  // ms-swift: a completion prompt is one user message through the chat template.
  auto r = post("/v1/completions", {{"model", "qwen3_e2e"}, {"prompt", "Hello!"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"], goldens_[0]["response"]);
  // Two prompts x n = 2, greedy: every choice is that prompt's greedy answer.
  r = post("/v1/completions",
           {{"prompt", {"Hello!", "Hello!"}}, {"n", 2}, {"echo", true}, {"stream", false}});
  ASSERT_EQ(r->status, 200) << r->body;
  j = json::parse(r->body);
  ASSERT_EQ(j["choices"].size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(j["choices"][i]["index"], i);
    EXPECT_EQ(j["choices"][i]["text"], "Hello!" + goldens_[0]["response"].get<std::string>());
  }
  // Streamed completions give the same text.
  r = post("/v1/completions", {{"prompt", "Hello!"}, {"stream", true}});
  ASSERT_EQ(r->status, 200);
  Sse s = parse_sse(r->body);
  std::string text;
  for (const auto& e : s.events)
    for (const auto& c : e["choices"]) text += c["text"].get<std::string>();
  EXPECT_EQ(text, goldens_[0]["response"]);
  EXPECT_TRUE(s.done);
  // Chat logprobs: top_logprobs alternatives, the greedy token first.
  r = post("/v1/chat/completions",
           chat(goldens_[0]["messages"], {{"logprobs", true}, {"top_logprobs", 3}, {"n", 3}}));
  ASSERT_EQ(r->status, 200) << r->body;
  j = json::parse(r->body);
  ASSERT_EQ(j["choices"].size(), 3u);
  for (const auto& c : j["choices"]) {
    EXPECT_EQ(c["message"]["content"], goldens_[0]["response"]);
    const auto& lp = c["logprobs"]["content"];
    ASSERT_EQ(lp.size(), 16u);
    EXPECT_EQ(lp[0]["top_logprobs"].size(), 3u);
    EXPECT_EQ(lp[0]["top_logprobs"][0]["token"], lp[0]["token"]);
  }
  // chat_template_kwargs.enable_thinking: qwen3 then leaves out the empty think block (4 tokens).
  r = post("/v1/chat/completions",
           chat(goldens_[0]["messages"], {{"chat_template_kwargs", {{"enable_thinking", true}}}}));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["usage"]["prompt_tokens"], goldens_[0]["prompt_ids"].size() - 4);
  expect_error(
      post("/v1/chat/completions",
           chat(goldens_[0]["messages"], {{"chat_template_kwargs", {{"enable_thinking", "yes"}}}})),
      400, "enable_thinking type");
  // Sampling with a seed is reproducible.
  json sampled = chat(goldens_[1]["messages"], {{"temperature", 1.0}, {"seed", 42}});
  auto a = post("/v1/chat/completions", sampled);
  auto b = post("/v1/chat/completions", sampled);
  ASSERT_EQ(a->status, 200);
  EXPECT_EQ(json::parse(a->body)["choices"][0]["message"]["content"],
            json::parse(b->body)["choices"][0]["message"]["content"]);
}

TEST_F(Deploy, AdapterByNameEqualsInferWithTheAdapter) {
  if (adapter_.empty()) GTEST_SKIP() << "the sft run failed";
  auto r = client().Get("/v1/models", auth());
  ASSERT_EQ(r->status, 200);
  json models = json::parse(r->body);
  ASSERT_EQ(models["data"].size(), 2u) << r->body;
  EXPECT_EQ(models["data"][0]["id"], "qwen3_e2e");
  EXPECT_EQ(models["data"][1]["id"], "lora1");
  // swift infer --adapters on the same conversations.
  const std::string data = dir_ + "/rows.jsonl";
  {
    std::ofstream out(data);
    for (const auto& g : goldens_) out << json{{"messages", g["messages"]}}.dump() << "\n";
  }
  const std::string result = dir_ + "/infer.jsonl";
  auto inf = swift::testing::run_command(
      kEnv + std::string(SWIFT_BIN) + " infer --model " + model_ + " --adapters " + adapter_ +
      " --val_dataset " + data + " --temperature 0 --max_new_tokens 16 --result_path " + result +
      " 2>&1");
  ASSERT_EQ(inf.code, 0) << inf.out;
  auto rows = swift::testing::read_jsonl(result);
  ASSERT_EQ(rows.size(), goldens_.size());
  int differs = 0;
  for (std::size_t i = 0; i < goldens_.size(); ++i) {
    auto a = post("/v1/chat/completions",
                  json{{"model", "lora1"}, {"messages", goldens_[i]["messages"]}});
    ASSERT_EQ(a->status, 200) << a->body;
    const json j = json::parse(a->body);
    EXPECT_EQ(j["model"], "lora1");
    EXPECT_EQ(j["choices"][0]["message"]["content"], rows[i]["response"]) << "row " << i;
    if (rows[i]["response"] != goldens_[i]["response"]) ++differs;
  }
  EXPECT_GT(differs, 0) << "the adapter changed no answer: is it applied?";
}

TEST_F(Deploy, AbuseGetsClientErrorsNeverACrash) {
  const std::string path = "/v1/chat/completions";
  httplib::Client c = client();
  auto raw = [&](const std::string& body) {
    return c.Post(path.c_str(), auth(), body, "application/json");
  };
  expect_error(raw("{not json"), 400, "bad JSON");
  expect_error(raw(""), 400, "empty body");
  expect_error(raw("[1,2]"), 400, "non-object body");
  expect_error(raw(std::string(100, '[') + std::string(100, ']')), 400, "deep nesting");
  expect_error(raw("{\"messages\": \"hi\"}"), 400, "messages not a list");
  expect_error(raw("{\"messages\": []}"), 400, "empty messages");
  expect_error(raw(R"({"messages": [{"role": "wizard", "content": "x"}]})"), 400, "bad role");
  expect_error(raw(R"({"messages": [{"role": "user", "content": 5}]})"), 400, "content type");
  expect_error(post(path, chat(goldens_[0]["messages"], {{"model", "nope"}})), 404,
               "unknown model");
  expect_error(post(path, chat(goldens_[0]["messages"], {{"max_tokens", 1000000000}})), 400,
               "absurd max_tokens");
  expect_error(post(path, chat(goldens_[0]["messages"], {{"max_tokens", -1}})), 400,
               "negative max_tokens");
  expect_error(post(path, chat(goldens_[0]["messages"], {{"n", 100000}})), 400, "absurd n");
  expect_error(post(path, chat(goldens_[0]["messages"], {{"temperature", "hot"}})), 400,
               "temperature type");
  expect_error(
      post(path, chat(goldens_[0]["messages"], {{"logprobs", true}, {"top_logprobs", 50}})), 400,
      "top_logprobs over max_logprobs");
  const json long_msg = json::array({{{"role", "user"}, {"content", std::string(4000, 'a')}}});
  expect_error(post(path, chat(long_msg)), 400, "prompt over max_model_len");
  expect_error(post("/v1/completions", {{"prompt", json::array()}}), 400, "empty prompt list");
  // Not found and wrong method.
  auto r = c.Get("/v1/nothing", auth());
  expect_error(r, 404, "unknown route");
  // Authentication: missing and wrong keys are 401 before the body is read.
  expect_error(post(path, chat(goldens_[0]["messages"]), {}), 401, "no key");
  expect_error(post(path, chat(goldens_[0]["messages"]), {{"Authorization", "Bearer wrong"}}), 401,
               "wrong key");
  // A 100 MB body is refused from its Content-Length.
  const std::string big(100u << 20, ' ');
  auto t0 = Clock::now();
  r = c.Post(path.c_str(), auth(), big, "application/json");
  if (r) EXPECT_EQ(r->status, 413) << r->body;  // or the connection is closed while sending
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 30.0);
  // Health, ping and the server still answering.
  EXPECT_EQ(client().Get("/health")->status, 200);
  EXPECT_EQ(client().Get("/ping")->status, 200);
  r = post(path, chat(goldens_[0]["messages"]));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(Deploy, StalledClientDoesNotBlockOthers) {
  // A client that sends half a request and stalls.
  const int fd = connect_local(server_->port);
  ASSERT_GE(fd, 0) << "cannot connect to the server";
  const std::string half =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey +
      "\r\nContent-Length: 1000\r\n\r\n{\"mess";
  ASSERT_GT(write(fd, half.data(), half.size()), 0);
  auto r = post("/v1/chat/completions", chat(goldens_[0]["messages"]));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  close(fd);
}

TEST_F(Deploy, ConcurrentStreamsEqualOneByOne) {
  constexpr int kN = 64;
  std::vector<json> bodies;
  for (int i = 0; i < kN; ++i) {
    const auto& g = goldens_[static_cast<std::size_t>(i) % goldens_.size()];
    bodies.push_back(chat(g["messages"], {{"stream", true}, {"max_tokens", 8 + i % 9}}));
  }
  std::vector<std::string> alone(kN), together(kN);
  for (int i = 0; i < kN; i += 7) {  // one by one (a sample, to keep the test short)
    auto r = post("/v1/chat/completions", bodies[static_cast<std::size_t>(i)]);
    ASSERT_EQ(r->status, 200);
    alone[static_cast<std::size_t>(i)] = stream_text(parse_sse(r->body));
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::vector<std::string> why(kN);
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      auto r = post("/v1/chat/completions", bodies[static_cast<std::size_t>(i)]);
      auto& w = why[static_cast<std::size_t>(i)];
      if (!r) {
        w = "no response: " + httplib::to_string(r.error());
      } else if (r->status != 200) {
        w = std::to_string(r->status) + " " + r->body;
      } else {
        Sse s = parse_sse(r->body);
        if (s.done)
          ++ok;
        else
          w = "no [DONE]: " + r->body.substr(0, 300);
        together[static_cast<std::size_t>(i)] = stream_text(s);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kN);
  for (int i = 0; i < kN; ++i)
    EXPECT_TRUE(why[static_cast<std::size_t>(i)].empty()) << "request " << i << ": " << why[i];
  for (int i = 0; i < kN; i += 7)
    EXPECT_EQ(together[static_cast<std::size_t>(i)], alone[static_cast<std::size_t>(i)])
        << "request " << i;
  // Same prompt and length give the same text.
  for (int i = 0; i + 9 * 3 < kN; ++i)
    if (i % 3 == 0) EXPECT_EQ(together[static_cast<std::size_t>(i)].size() > 0, true);
}

TEST_F(Deploy, DisconnectMidStreamFreesTheKvBlocks) {
  ASSERT_EQ(kv_used(), "0");
  const int fd = connect_local(server_->port);
  ASSERT_GE(fd, 0) << "cannot connect to the server";
  const std::string body =
      chat(goldens_[0]["messages"], {{"stream", true}, {"max_tokens", 200}, {"ignore_eos", true}})
          .dump();
  const std::string req =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  char buf[4096];
  std::string got;
  while (got.find("\"content\":\"") == std::string::npos || got.size() < 1500) {
    const ssize_t k = read(fd, buf, sizeof buf);
    ASSERT_GT(k, 0) << got;
    got.append(buf, static_cast<std::size_t>(k));
  }
  EXPECT_NE(kv_used(), "0");  // the request is running
  close(fd);
  const auto t0 = Clock::now();
  std::string used = kv_used();
  while (used != "0" && Clock::now() - t0 < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    used = kv_used();
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(used, "0");
  EXPECT_LT(s, 1.0) << "the KV blocks took " << s << " s to come back";
}

TEST_F(Deploy, MetricsAndResultRows) {
  auto r = client().Get("/metrics", auth());
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  for (const char* name :
       {"swift:num_requests_running", "swift:num_requests_waiting", "swift:kv_cache_usage_perc",
        "swift:prompt_tokens_total", "swift:generation_tokens_total",
        "swift:time_to_first_token_seconds_bucket", "swift:e2e_request_latency_seconds_count",
        "swift:http_requests_total"})
    EXPECT_NE(r->body.find(name), std::string::npos) << name;
  // --result_path: one row per answered request, ms-swift's keys.
  post("/v1/chat/completions", chat(goldens_[0]["messages"]));
  auto rows = swift::testing::read_jsonl(dir_ + "/requests.jsonl");
  ASSERT_FALSE(rows.empty());
  EXPECT_TRUE(rows.back().contains("response"));
  EXPECT_TRUE(rows.back().contains("infer_request"));
  EXPECT_TRUE(rows.back().contains("generation_config"));
}

// A server that takes one sequence and queues none: a second request is a 503 with
// Retry-After; SIGTERM lets the running stream end and exits 0.
TEST(DeployQueue, FullQueueIs503AndSigtermExitsZero) {
  const std::string model = swift::testing::e2e_model_dir("qwen3_e2e", "qwen3");
  if (model.empty()) GTEST_SKIP() << "no qwen3 tokenizer asset";
  const std::string dir = swift::testing::fresh_dir("swift_test_cli_deploy", "queue");
  ServerProc srv;
  ASSERT_TRUE(srv.start("--model " + model + " --max_model_len 2048" +
                            " --max_num_seqs 1 --max_queue_size 0 --shutdown_timeout 2"
                            " --temperature 0 --log_interval -1",
                        dir + "/server.log"))
      << swift::testing::read_file(dir + "/server.log");
  const json body{{"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                  {"max_tokens", 2000},
                  {"ignore_eos", true},
                  {"stream", true}};
  std::atomic<int> first_status{0};
  std::string first_body;
  std::thread first([&] {
    httplib::Client c("127.0.0.1", srv.port);
    c.set_read_timeout(60, 0);
    auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
    if (r) {
      first_status = r->status;
      first_body = r->body;
    } else {
      first_status = -1;
    }
  });
  // Wait until it runs.
  httplib::Client c("127.0.0.1", srv.port);
  static const std::regex re(R"(swift:num_requests_in_flight\{[^}]*\} (\S+))");
  for (int i = 0; i < 200; ++i) {
    auto m = c.Get("/metrics");
    std::smatch mm;
    if (m && std::regex_search(m->body, mm, re) && mm[1] == "1") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto r =
      c.Post("/v1/chat/completions", json{{"messages", body["messages"]}, {"max_tokens", 4}}.dump(),
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  const auto t0 = Clock::now();
  EXPECT_EQ(srv.stop(20), 0) << swift::testing::read_file(dir + "/server.log");
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 10.0);
  first.join();
  EXPECT_EQ(first_status.load(), 200);
  EXPECT_TRUE(parse_sse(first_body).done) << "the running stream was not ended cleanly";
  stdfs::remove_all(dir);
}

}  // namespace

namespace {

// --ssl_certfile / --ssl_keyfile: the routes over TLS (a self-signed certificate made here).
TEST(DeployTls, ServesOverHttps) {
  const std::string model = swift::testing::e2e_model_dir("qwen3_e2e", "qwen3");
  if (model.empty()) GTEST_SKIP() << "no qwen3 tokenizer asset";
  const std::string dir = swift::testing::fresh_dir("swift_test_cli_deploy", "tls");
  auto gen = swift::testing::run_command("openssl req -x509 -newkey rsa:2048 -nodes -keyout " +
                                         dir + "/key.pem -out " + dir +
                                         "/cert.pem -days 1 -subj /CN=localhost 2>&1");
  if (gen.code != 0) GTEST_SKIP() << "no openssl command: " << gen.out;
  // Mismatched options are refused with a clear message.
  auto bad = swift::testing::run_command(kEnv + std::string(SWIFT_BIN) + " deploy --model " +
                                         model + " --ssl_certfile " + dir + "/cert.pem 2>&1");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("--ssl_keyfile"), std::string::npos) << bad.out;
  ServerProc srv;
  ASSERT_TRUE(srv.start("--model " + model + " --served_model_name qwen3_e2e --ssl_certfile " +
                            dir + "/cert.pem --ssl_keyfile " + dir + "/key.pem --log_interval -1",
                        dir + "/server.log"))
      << swift::testing::read_file(dir + "/server.log");
  httplib::SSLClient c("127.0.0.1", srv.port);
  c.enable_server_certificate_verification(false);
  auto r = c.Get("/v1/models");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("qwen3_e2e"), std::string::npos);
  // Plain HTTP on the TLS port gets no answer, and the server goes on.
  httplib::Client plain("127.0.0.1", srv.port);
  plain.set_read_timeout(5, 0);
  auto p = plain.Get("/v1/models");
  EXPECT_TRUE(!p || p->status != 200);
  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(srv.stop(), 0);
  stdfs::remove_all(dir);
}

}  // namespace
