// trainer_state.json against transformers 5.17's own files (tests/data/train/trainer_state/, made
// by tools/reference/make_trainer_state_golden.py): the same state gives the same bytes, files
// of a real Trainer run read back and re-serialize to identical bytes, and damaged files fail
// naming the file and the field.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "common/test_util.h"
#include "train/trainer_state.h"

namespace {

using nlohmann::json;
using swift::testing::expect_error;
using swift::testing::read_file;
using swift::train::TrainerState;

const std::string kDir = std::string(SWIFT_SOURCE_DIR) + "/tests/data/train/trainer_state/";

TEST(PythonJson, FloatReprMatchesPython) {
  using swift::train::python_float_repr;
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(0.00001), "1e-05");
  EXPECT_EQ(python_float_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(9999999999999998.0), "9999999999999998.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1.2345e100), "1.2345e+100");
  EXPECT_EQ(python_float_repr(5e-324), "5e-324");
  EXPECT_EQ(python_float_repr(123456.0), "123456.0");
  EXPECT_EQ(python_float_repr(0.30000000000000004), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(std::nan("")), "NaN");
  EXPECT_EQ(python_float_repr(-HUGE_VAL), "-Infinity");
}

TEST(PythonJson, StringsAreEscapedAsEnsureAscii) {
  using swift::train::python_json_dumps;
  EXPECT_EQ(python_json_dumps(json("a\"\\\n\r\t\b\f\x01\x7f~")),
            "\"a\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u007f~\"");
  EXPECT_EQ(python_json_dumps(json("\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80")),
            "\"\\u00e9\\u4e2d\\ud83d\\ude00\"");
  // Bytes that are not UTF-8 come out as surrogateescape would give them.
  EXPECT_EQ(python_json_dumps(json(std::string("x\xff"))), "\"x\\udcff\"");
  EXPECT_EQ(python_json_dumps(json::object()), "{}");
  EXPECT_EQ(python_json_dumps(json::array()), "[]");
  EXPECT_EQ(python_json_dumps(json{{"b", 1}, {"a", {1, 2.5}}}),
            "{\n  \"a\": [\n    1,\n    2.5\n  ],\n  \"b\": 1\n}");
}

TEST(PythonJson, LoadsNanAndInfinityOutsideStrings) {
  const json j = swift::train::python_json_loads(
      R"({"a": NaN, "b": [Infinity, -Infinity], "c": "NaN \" Infinity"})", "x.json");
  EXPECT_TRUE(std::isnan(j["a"].get<double>()));
  EXPECT_EQ(j["b"][0].get<double>(), HUGE_VAL);
  EXPECT_EQ(j["b"][1].get<double>(), -HUGE_VAL);
  EXPECT_EQ(j["c"], "NaN \" Infinity");
  expect_error([] { swift::train::python_json_loads("{\"a\": ", "cut.json"); },
               {"cut.json", "not valid JSON"});
}

// The state make_trainer_state_golden.py builds field by field (constructed.json).
TrainerState constructed() {
  TrainerState s;
  swift::train::TrainerControlFlags control;
  control.should_save = true;
  control.should_training_stop = true;
  const json early = {
      {"args", {{"early_stopping_patience", 3}, {"early_stopping_threshold", 0.01}}},
      {"attributes", {{"early_stopping_patience_counter", 1}}}};
  s.stateful_callbacks = {{"TrainerControl", swift::train::trainer_control_state(control)},
                          {"EarlyStoppingCallback", {early, early}}};
  s.epoch = 1.0000000000000002;
  s.global_step = 12;
  s.max_steps = 30;
  s.logging_steps = 5;
  s.eval_steps = 10;
  s.save_steps = 10;
  s.train_batch_size = 2;
  s.num_train_epochs = 3;
  s.num_input_tokens_seen = 123456789012;
  s.total_flos = 1234567890123456.0;
  s.best_metric = 0.30000000000000004;
  s.best_global_step = 10;
  s.best_model_checkpoint = "output/Qwen3-0.6B/v0-20260101-000000/checkpoint-10";
  s.trial_name = "trial \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80 \"q\" \\ \t\x01\x7f";
  s.trial_params = {{"lr", 1e-05}, {"layers", {1, 2.5, nullptr, true}}, {"name", "x"}};
  const double nan = std::nan("");
  s.log_history = {
      {{"loss", 2.0794415416798357},
       {"grad_norm", nan},
       {"learning_rate", 0.0},
       {"token_acc", 0.0001},
       {"epoch", 0.1},
       {"step", 1}},
      {{"loss", 1e16},
       {"grad_norm", HUGE_VAL},
       {"learning_rate", 9.999999999999999e-06},
       {"epoch", 0.5},
       {"step", 5},
       {"num_input_tokens_seen", 640}},
      {{"loss", 9999999999999998.0},
       {"grad_norm", -HUGE_VAL},
       {"learning_rate", 1.5e-07},
       {"epoch", 1.0},
       {"step", 10}},
      {{"eval_loss", 0.30000000000000004},
       {"eval_runtime", 0.1234},
       {"eval_samples_per_second", 32.41},
       {"eval_steps_per_second", 16.207},
       {"epoch", 1.0},
       {"step", 10}},
      {{"loss", 5e-324},
       {"grad_norm", 1.7976931348623157e+308},
       {"learning_rate", 123456.0},
       {"epoch", 1.0000000000000002},
       {"step", 12},
       {"note", "\xe6\x97\xa5\xe6\x9c\xac"}},
  };
  return s;
}

TEST(TrainerState, ConstructedStateGivesTransformersBytes) {
  EXPECT_EQ(constructed().to_json(), read_file(kDir + "constructed.json"));
  EXPECT_EQ(TrainerState::initial().to_json(), read_file(kDir + "constructed_default.json"));
}

TEST(TrainerState, RealTrainerFilesRoundTripByteForByte) {
  for (const char* name :
       {"constructed.json", "constructed_default.json", "run/checkpoint-3/trainer_state.json",
        "run/checkpoint-6/trainer_state.json"}) {
    const std::string text = read_file(kDir + name);
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_EQ(TrainerState::parse(text, name).to_json(), text) << name;
  }
  const TrainerState s = TrainerState::read(kDir + "run/checkpoint-6/trainer_state.json");
  EXPECT_EQ(s.global_step, 6);
  EXPECT_EQ(s.max_steps, 6);
  EXPECT_EQ(s.best_global_step, 3);
  EXPECT_EQ(s.best_model_checkpoint, "/tmp/run/checkpoint-3");
  EXPECT_EQ(s.train_batch_size, 2);
  ASSERT_EQ(s.log_history.size(), 6u);
  EXPECT_EQ(s.log_history[2]["eval_loss"].get<double>(), *s.best_metric);
  EXPECT_TRUE(s.stateful_callbacks["TrainerControl"]["args"]["should_training_stop"]);
}

// Replays the Trainer's calls of the real run's first three steps (logging_first_step, logs
// every 2, eval + save at 3) and gets checkpoint-3's file, values taken from it.
TEST(TrainerState, TrainerFlowGivesTheRealCheckpointFile) {
  const TrainerState want = TrainerState::read(kDir + "run/checkpoint-3/trainer_state.json");
  TrainerState s;
  s.max_steps = 6;
  s.logging_steps = 2;
  s.eval_steps = 3;
  s.save_steps = 3;
  s.train_batch_size = 2;
  s.num_train_epochs = 1;
  for (std::int64_t step = 1; step <= 3; ++step) {
    s.global_step = step;
    s.epoch = step / 8.0;
    if (step <= 2) {
      json logs = want.log_history[step - 1];
      logs.erase("epoch");
      logs.erase("step");
      s.record_log(logs);
    }
  }
  json eval = want.log_history[2];
  eval.erase("epoch");
  eval.erase("step");
  s.record_log(eval);
  EXPECT_TRUE(s.update_best_metric(eval["eval_loss"], /*greater_is_better=*/false));
  EXPECT_FALSE(s.update_best_metric(eval["eval_loss"].get<double>() + 1, false));
  const std::string run = swift::testing::fresh_dir("swift_tstate", "run");
  s.total_flos = want.total_flos;
  // checkpoint-3 is still being staged: the step being saved counts as there.
  s.prepare_save(run, {});
  EXPECT_EQ(s.best_model_checkpoint, run + "/checkpoint-3");
  // A best step whose folder is gone (rotated away) is not recorded.
  TrainerState later = s;
  later.best_model_checkpoint.reset();
  later.global_step = 6;
  later.prepare_save(run, {});
  EXPECT_FALSE(later.best_model_checkpoint.has_value());
  std::filesystem::create_directories(run + "/checkpoint-3");
  s.best_model_checkpoint = "/tmp/run/checkpoint-3";
  EXPECT_EQ(s.to_json(), read_file(kDir + "run/checkpoint-3/trainer_state.json"));
  s.write(run + "/checkpoint-3/trainer_state.json");
  EXPECT_EQ(read_file(run + "/checkpoint-3/trainer_state.json"), s.to_json());
  std::filesystem::remove_all(run);
}

TEST(TrainerState, UnknownFieldsSurviveAndBadFieldsAreNamed) {
  const std::string with_extra = "{\"global_step\": 3, \"zeta_new_field\": [1, 2.0]}";
  const TrainerState s = TrainerState::parse(with_extra, "a.json");
  EXPECT_NE(s.to_json().find("\"zeta_new_field\": [\n    1,\n    2.0\n  ]\n}"), std::string::npos);
  expect_error([] { TrainerState::parse("{\"global_step\": 1.5}", "s.json"); },
               {"s.json", "field \"global_step\"", "an integer", "1.5"});
  expect_error([] { TrainerState::parse("{\"log_history\": {}}", "s.json"); },
               {"s.json", "field \"log_history\""});
  expect_error([] { TrainerState::parse("{\"log_history\": [1]}", "s.json"); },
               {"s.json", "entry 0 should be an object"});
  expect_error([] { TrainerState::parse("{\"best_model_checkpoint\": 3}", "s.json"); },
               {"s.json", "best_model_checkpoint", "a string or null"});
  expect_error([] { TrainerState::parse("[]", "s.json"); }, {"s.json", "expected a JSON object"});
  expect_error([] { TrainerState::read("/nonexistent/trainer_state.json"); },
               {"/nonexistent/trainer_state.json", "not found"});
  const std::string cut = read_file(kDir + "run/checkpoint-6/trainer_state.json");
  expect_error([&] { TrainerState::parse(cut.substr(0, cut.size() / 2), "half.json"); },
               {"half.json", "not valid JSON"});
}

}  // namespace

namespace {

TEST(TrainerState, SpeedMetricsAndRoundMatchTransformers) {
  const json g = json::parse(read_file(kDir + "speed_metrics.json"));
  ASSERT_GE(g["speed_metrics"].size(), 5u);
  for (const auto& c : g["speed_metrics"]) {
    const auto count = [&](const char* k) {
      return c[k].is_null() ? std::int64_t{-1} : c[k].get<std::int64_t>();
    };
    const json m = swift::train::speed_metrics(c["split"], c["runtime"], count("num_samples"),
                                               count("num_steps"), count("num_tokens"));
    EXPECT_EQ(swift::train::python_json_dumps(m), c["text"].get<std::string>()) << c.dump();
  }
  for (const auto& c : g["round"]) {
    const double r = swift::train::python_round(c["x"], c["ndigits"]);
    EXPECT_EQ(swift::train::python_float_repr(r), c["repr"].get<std::string>()) << c.dump();
  }
}

}  // namespace
