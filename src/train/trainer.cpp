// The training loop: windows of micro-batches, the token-mean loss over a window, clipping,
// AdamW, and the log / evaluate / save decisions of the HF Trainer's DefaultFlowCallback with
// ms-swift's "the last step is always evaluated and saved".
#include "train/trainer.h"

#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/progress.h"
#include "model/causal_lm.h"
#include "model/model.h"
#include "train/checkpoint_io.h"
#include "train/checkpoints.h"
#include "train/data.h"
#include "train/lr_schedule.h"
#include "train/micro_batch.h"
#include "train/param_groups.h"
#include "train/plots.h"
#include "train/run_log.h"
#include "train/tensorboard.h"
#include "train/trainer_state.h"
#include "tuners/lora.h"

namespace swift::train {
namespace {

using Clock = std::chrono::steady_clock;

// Correct argmax predictions over the counted (shifted) targets.
std::int64_t correct_tokens(const at::Tensor& logits, const MicroBatch& mb) {
  torch::NoGradGuard ng;
  auto target = model::shifted_targets(mb.labels, mb.batch.cu_seqlens);
  auto mask = target.ne(-100);
  auto pred = logits.detach().argmax(-1).to(torch::kCPU);
  return (pred.eq(target) & mask).sum().item<std::int64_t>();
}

bool is_lora_b(const std::string& name) {
  return name.find(".lora_B.") != std::string::npos;
}

// HF's steps: values below 1 are a ratio of the total steps.
std::int64_t every(double v, std::int64_t total) {
  if (v > 0 && v < 1)
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(v * total)));
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(v));
}

// HF's rewrite_logs for TensorBoard: eval_x -> eval/x, everything else train/x.
std::string tb_tag(const std::string& key) {
  if (key.rfind("eval_", 0) == 0) return "eval/" + key.substr(5);
  return "train/" + key;
}

// The causal-LM objective of sft / pt: the loss is the token mean over every label token of
// the window; token_acc is a step metric; evaluation averages per-batch means by batch size.
class LmObjective final : public Objective {
 public:
  LmObjective(const model::CausalLM& model,
              const std::vector<Sample>& train,
              const std::vector<Sample>& val,
              const std::vector<std::vector<std::size_t>>& packs)
      : model_(model), train_(train), val_(val), packs_(packs) {}

  std::size_t train_units() const override {
    return packs_.empty() ? train_.size() : packs_.size();
  }
  bool has_val() const override { return !val_.empty(); }
  std::size_t val_units() const override { return val_.size(); }

  WindowResult train_window(const std::vector<std::vector<std::size_t>>& micro_batches,
                            const model::ForwardContext& ctx) override {
    std::vector<MicroBatch> mbs;
    std::int64_t window_tokens = 0;
    for (const auto& units : micro_batches) {
      std::vector<const Sample*> s;
      for (std::size_t u : units) {
        if (packs_.empty()) {
          s.push_back(&train_[u]);
          continue;
        }
        for (std::size_t j : packs_[u]) {
          SWIFT_CHECK(j < train_.size(), "[train] packed row {} names sample {} of {}", u, j,
                      train_.size());
          s.push_back(&train_[j]);
        }
      }
      mbs.push_back(to_micro_batch(s));
      window_tokens += mbs.back().label_tokens;
    }
    SWIFT_CHECK(window_tokens > 0,
                "[train] no label tokens in the {} micro-batches of this step (every label is "
                "-100); check the dataset's assistant turns and --loss_scale",
                mbs.size());
    WindowResult r;
    std::int64_t correct = 0;
    for (const auto& mb : mbs) {
      auto logits = model_.forward(mb.batch, ctx);
      auto ls = model::causal_lm_loss_sum(logits, mb.labels, mb.batch.cu_seqlens, mb.loss_scale);
      auto loss = ls.sum / static_cast<double>(window_tokens);
      loss.backward();
      r.loss += loss.item<double>();
      correct += correct_tokens(logits, mb);
    }
    r.step_metrics = {
        {"token_acc", static_cast<double>(correct) / static_cast<double>(window_tokens)}};
    label_tokens_ = window_tokens;
    return r;
  }

  MetricList evaluate(std::int64_t eval_batch_size, const model::ForwardContext& ctx) override {
    torch::NoGradGuard ng;
    double loss_sum = 0, weight = 0;
    std::int64_t correct = 0, counted = 0;
    const auto bs = static_cast<std::size_t>(eval_batch_size);
    for (std::size_t b = 0; b < val_.size(); b += bs) {
      std::vector<const Sample*> s;
      for (std::size_t i = b; i < std::min(val_.size(), b + bs); ++i) s.push_back(&val_[i]);
      auto mb = to_micro_batch(s);
      auto logits = model_.forward(mb.batch, ctx);
      auto ls = model::causal_lm_loss_sum(logits, mb.labels, mb.batch.cu_seqlens, mb.loss_scale);
      if (ls.tokens == 0) continue;
      loss_sum +=
          ls.sum.item<double>() / static_cast<double>(ls.tokens) * static_cast<double>(s.size());
      weight += static_cast<double>(s.size());
      correct += correct_tokens(logits, mb);
      counted += ls.tokens;
    }
    SWIFT_CHECK(weight > 0, "[train] the validation set has no label tokens to evaluate");
    return {{"eval_loss", loss_sum / weight},
            {"eval_token_acc", counted ? static_cast<double>(correct) / counted : 0.0}};
  }

  std::int64_t last_label_tokens() const { return label_tokens_; }

 private:
  const model::CausalLM& model_;
  const std::vector<Sample>& train_;
  const std::vector<Sample>& val_;
  const std::vector<std::vector<std::size_t>>& packs_;
  std::int64_t label_tokens_ = 0;
};

// Running means of a log interval: values keep their first-seen order.
struct MeanList {
  std::vector<std::pair<std::string, std::pair<double, std::int64_t>>> v;
  void add(const MetricList& m) {
    for (const auto& [k, x] : m) {
      auto it = std::find_if(v.begin(), v.end(), [&](const auto& e) { return e.first == k; });
      if (it == v.end()) {
        v.push_back({k, {x, 1}});
      } else {
        it->second.first += x;
        ++it->second.second;
      }
    }
  }
  void put(nlohmann::ordered_json& logs) const {
    for (const auto& [k, s] : v) logs[k] = s.first / static_cast<double>(s.second);
  }
  void clear() { v.clear(); }
};

}  // namespace

MetricList Objective::reduce_stored(const std::vector<MetricList>& stored) const {
  MeanList m;
  for (const auto& s : stored) m.add(s);
  MetricList out;
  for (const auto& [k, v] : m.v) out.emplace_back(k, v.first / static_cast<double>(v.second));
  return out;
}

struct Trainer::Impl {
  std::shared_ptr<model::CausalLM> model;
  std::shared_ptr<tuners::LoraAdapter> adapter;
  TrainerOptions o;
  std::vector<NamedParam> params;
  std::unique_ptr<AdamW> opt;
  SaveModelFn save_model;
  std::function<void(std::int64_t)> on_step;
  nlohmann::ordered_json summary = nlohmann::ordered_json::object();
  TrainerState hf;  // trainer_state.json: log history, best metric (continued on resume)
  std::int64_t data_offset = 0;    // --ignore_data_skip: the resumed run's data restarts here
  nlohmann::json objective_state;  // a resumed checkpoint's objective_state.json, or null

  // Our resumable state of step `step` (checkpoint_io.h).
  TrainingState training_state(std::int64_t step, const LrSchedule& sched, double epoch) const {
    TrainingState ts;
    ts.optimizer.optimizer = "adamw_torch";
    ts.optimizer.step = opt->steps();
    OptimizerParamGroup g;
    nlohmann::json no_decay = nlohmann::json::array();
    for (const auto& p : params) {
      g.params.push_back(p.name);
      if (!p.decay) no_decay.push_back(p.name);
    }
    g.hyperparameters = {{"lr", sched.lr(step)},        {"betas", {o.adam.beta1, o.adam.beta2}},
                         {"eps", o.adam.eps},           {"weight_decay", o.adam.weight_decay},
                         {"no_weight_decay", no_decay}, {"lorap_lr_ratio", o.lorap_lr_ratio}};
    ts.optimizer.param_groups.push_back(g);
    const auto moments = opt->state_tensors();  // (exp_avg, exp_avg_sq) per parameter
    for (std::size_t i = 0; i < params.size(); ++i) {
      OptimizerParamState st;
      st.step = opt->steps();
      st.tensors["exp_avg"] = moments[2 * i].second;
      st.tensors["exp_avg_sq"] = moments[2 * i + 1].second;
      ts.optimizer.state[params[i].name] = st;
    }
    ts.scheduler.type = sched.type;
    ts.scheduler.step = step;
    ts.scheduler.base_lrs = {sched.initial_lr};
    ts.scheduler.last_lrs = {sched.lr(step)};
    ts.scheduler.params = {{"warmup_steps", sched.warmup_steps},
                           {"total_steps", sched.total_steps}};
    ts.rng = capture_rng_state();
    ts.rng.seeds["data_seed"] = o.seed;
    ts.data.epoch = static_cast<std::int64_t>(epoch);
    ts.data.consumed_samples = (step - data_offset) * o.batch_size * o.grad_accum;
    ts.data.extra = {
        {"order", o.shuffle ? "torch.randperm(units, seed=data_seed + epoch)" : "dataset"},
        {"data_offset", data_offset}};
    return ts;
  }

  // Sample order of one epoch: a permutation from (seed, epoch), or the dataset order.
  std::vector<std::size_t> order(std::size_t n, std::int64_t epoch) const {
    std::vector<std::size_t> idx(n);
    if (!o.shuffle) {
      for (std::size_t i = 0; i < n; ++i) idx[i] = i;
      return idx;
    }
    auto gen = at::detail::createCPUGenerator(o.seed + static_cast<std::uint64_t>(epoch));
    auto perm = torch::randperm(static_cast<std::int64_t>(n), gen, torch::kInt64);
    auto* p = perm.data_ptr<std::int64_t>();
    for (std::size_t i = 0; i < n; ++i) idx[i] = static_cast<std::size_t>(p[i]);
    return idx;
  }

  std::int64_t batches_per_epoch(std::size_t n) const {
    const std::int64_t b = o.batch_size, N = static_cast<std::int64_t>(n);
    return o.drop_last ? N / b : (N + b - 1) / b;
  }
  std::int64_t steps_per_epoch(std::size_t n) const {
    const std::int64_t nb = batches_per_epoch(n);
    return std::max<std::int64_t>(1, (nb + o.grad_accum - 1) / o.grad_accum);
  }

  // The micro-batches (unit indices) of optimizer step `step` (1-based), and the epoch
  // progress after it.
  std::vector<std::vector<std::size_t>> window(std::size_t units,
                                               std::int64_t step,
                                               double* epoch_after) const {
    const std::int64_t spe = steps_per_epoch(units), nb = batches_per_epoch(units);
    const std::int64_t epoch = (step - 1) / spe, k = (step - 1) % spe;
    auto idx = order(units, epoch);
    std::vector<std::vector<std::size_t>> out;
    const std::int64_t first = k * o.grad_accum, last = std::min(nb, first + o.grad_accum);
    for (std::int64_t b = first; b < last; ++b) {
      std::vector<std::size_t> s;
      const std::int64_t end =
          std::min<std::int64_t>((b + 1) * o.batch_size, static_cast<std::int64_t>(units));
      for (std::int64_t i = b * o.batch_size; i < end; ++i)
        s.push_back(idx[static_cast<std::size_t>(i)]);
      out.push_back(std::move(s));
    }
    *epoch_after = static_cast<double>(epoch) + static_cast<double>(last) / static_cast<double>(nb);
    return out;
  }

  model::ForwardContext context(bool training) const {
    model::ForwardContext ctx;
    ctx.adapters = adapter.get();
    ctx.checkpoint_layers = training && o.gradient_checkpointing;
    ctx.training = training;
    return ctx;
  }
};

Trainer::Trainer(std::shared_ptr<model::CausalLM> model,
                 std::shared_ptr<tuners::LoraAdapter> adapter,
                 TrainerOptions options)
    : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.model = std::move(model);
  m.adapter = std::move(adapter);
  m.o = std::move(options);
  SWIFT_CHECK(m.o.batch_size > 0, "[train] per_device_train_batch_size must be > 0, got {}",
              m.o.batch_size);
  SWIFT_CHECK(m.o.eval_batch_size > 0, "[train] per_device_eval_batch_size must be > 0, got {}",
              m.o.eval_batch_size);
  SWIFT_CHECK(m.o.grad_accum > 0, "[train] gradient_accumulation_steps must be > 0, got {}",
              m.o.grad_accum);
  SWIFT_CHECK(m.o.max_steps > 0 || m.o.num_train_epochs > 0,
              "[train] nothing to do: set --max_steps or --num_train_epochs above 0");
  SWIFT_CHECK(std::isfinite(m.o.learning_rate) && m.o.learning_rate >= 0,
              "[train] learning_rate must be a finite value >= 0, got {}", m.o.learning_rate);
  SWIFT_CHECK(m.o.max_grad_norm >= 0, "[train] max_grad_norm must be >= 0, got {}",
              m.o.max_grad_norm);
  if (m.adapter) {
    m.model->set_requires_grad(false);
    m.adapter->set_requires_grad(true);
    for (auto& [name, t] : m.adapter->named_parameters()) {
      NamedParam p{name, t, weight_decay_applies(name), 1.0};
      if (m.o.lorap_lr_ratio > 0 && is_lora_b(name)) p.lr_ratio = m.o.lorap_lr_ratio;
      m.params.push_back(p);
    }
  } else {
    for (auto& [name, t] : m.model->parameters())
      if (t.requires_grad()) m.params.push_back({name, t, weight_decay_applies(name), 1.0});
  }
  SWIFT_CHECK(!m.params.empty(),
              "[train] no trainable parameters: every parameter is frozen (check "
              "--freeze_parameters* / --trainable_parameters*)");
  for (const auto& p : m.params)
    SWIFT_CHECK(p.param.scalar_type() == torch::kFloat32 || !m.adapter,
                "[train] trainable tensor {} is not float32", p.name);
  m.opt = std::make_unique<AdamW>(m.params, m.o.adam);
}

Trainer::~Trainer() = default;

void Trainer::set_save_model(SaveModelFn fn) {
  impl_->save_model = std::move(fn);
}
void Trainer::set_step_callback(std::function<void(std::int64_t)> fn) {
  impl_->on_step = std::move(fn);
}
void Trainer::set_summary(nlohmann::ordered_json summary) {
  impl_->summary = std::move(summary);
}
const std::vector<NamedParam>& Trainer::trainable() const {
  return impl_->params;
}
AdamW& Trainer::optimizer() {
  return *impl_->opt;
}
model::ForwardContext Trainer::context(bool training) const {
  return impl_->context(training);
}

std::int64_t Trainer::resume(const std::string& dir, bool only_model, bool ignore_data_skip) {
  auto& m = *impl_;
  std::string why;
  SWIFT_CHECK(is_intact_checkpoint(dir, &why),
              "[train] {} is not an intact checkpoint ({}); resume from an earlier checkpoint-N "
              "of the run",
              dir, why);
  TrainerState saved = TrainerState::read(fs::join(dir, "trainer_state.json"));
  {
    torch::NoGradGuard ng;
    if (m.adapter) {
      auto loaded = tuners::LoraAdapter::load(dir, *m.model);
      auto src = loaded->named_parameters();
      auto dst = m.adapter->named_parameters();
      SWIFT_CHECK(src.size() == dst.size(),
                  "[train] {} holds another adapter ({} tensors, this run has {}): resume with "
                  "the same --lora_rank / --target_modules / --use_dora",
                  dir, src.size(), dst.size());
      for (std::size_t i = 0; i < src.size(); ++i) {
        SWIFT_CHECK(src[i].first == dst[i].first && src[i].second.sizes() == dst[i].second.sizes(),
                    "[train] {}: adapter tensor {} does not match this run's {}", dir, src[i].first,
                    dst[i].first);
        dst[i].second.copy_(src[i].second);
      }
    } else {
      model::LoadOptions lo;
      lo.dtype = "float32";
      auto loaded = model::load_causal_lm(dir, lo);
      for (auto& [name, t] : m.model->parameters()) t.copy_(loaded->parameter(name));
    }
  }
  if (only_model) return 0;
  TrainingState ts = load_training_state(dir);
  std::vector<std::pair<std::string, at::Tensor>> named;
  for (const auto& p : m.params) named.emplace_back(p.name, p.param);
  check_optimizer_matches(ts.optimizer, named, dir);
  std::map<std::string, at::Tensor> moments;
  for (const auto& [name, st] : ts.optimizer.state)
    for (const auto& [k, t] : st.tensors) moments[name + "." + k] = t;
  m.opt->load_state(moments, ts.optimizer.step);
  restore_rng_state(ts.rng);
  const std::string obj = fs::join(dir, "objective_state.json");
  m.objective_state = fs::is_file(obj) ? nlohmann::json::parse(fs::read_file(obj)) : nullptr;
  m.hf = saved;
  m.data_offset = ignore_data_skip ? saved.global_step : 0;
  return saved.global_step;
}

std::int64_t Trainer::total_steps(std::size_t num_train) const {
  const auto& o = impl_->o;
  if (o.max_steps > 0) return o.max_steps;
  return static_cast<std::int64_t>(
      std::ceil(o.num_train_epochs * static_cast<double>(impl_->steps_per_epoch(num_train))));
}

std::pair<double, double> Trainer::evaluate(const std::vector<Sample>& data) const {
  const auto& m = *impl_;
  LmObjective lm(*m.model, {}, data, {});
  auto r = lm.evaluate(m.o.eval_batch_size, m.context(false));
  return {r[0].second, r[1].second};
}

TrainResult Trainer::train(const std::vector<Sample>& train_set,
                           const std::vector<Sample>& val_set,
                           std::int64_t start_step,
                           const std::vector<std::vector<std::size_t>>& train_packs) {
  SWIFT_CHECK(!train_set.empty(), "[train] the training set is empty");
  LmObjective lm(*impl_->model, train_set, val_set, train_packs);
  return train(lm, start_step);
}

TrainResult Trainer::train(Objective& objective, std::int64_t start_step) {
  auto& m = *impl_;
  auto& o = m.o;
  const std::size_t units = objective.train_units();
  SWIFT_CHECK(units > 0, "[train] the training set is empty");
  const std::int64_t total = total_steps(units);
  SWIFT_CHECK(start_step >= 0 && start_step <= total,
              "[train] cannot start at step {} of a {}-step run", start_step, total);
  const std::int64_t warmup = warmup_steps_for(total, o.warmup_steps, o.warmup_ratio);
  const LrSchedule sched =
      make_lr_schedule(o.lr_scheduler_type, warmup, total, o.learning_rate, o.lr_scheduler_kwargs);
  const bool writes = !o.output_dir.empty();
  const bool has_val = objective.has_val();
  const std::int64_t log_every = every(static_cast<double>(o.logging_steps), total);
  const std::int64_t eval_every = every(o.eval_steps, total);
  const std::int64_t save_every = every(o.save_steps, total);
  const std::int64_t spe = m.steps_per_epoch(units);

  std::unique_ptr<EventWriter> tb;
  std::string tb_dir;
  if (writes) {
    std::filesystem::create_directories(o.output_dir);
    tb_dir = o.logging_dir.empty() ? fs::join(o.output_dir, "runs") : o.logging_dir;
    if (o.tensorboard) tb = std::make_unique<EventWriter>(tb_dir);
  }
  const std::string jsonl = writes ? fs::join(o.output_dir, "logging.jsonl") : "";

  TrainResult result;
  result.global_step = start_step;
  const auto t0 = Clock::now();
  std::unique_ptr<ProgressBar> bar;
  if (o.progress_bar) {
    bar = std::make_unique<ProgressBar>("Train", static_cast<std::uint64_t>(total));
    bar->set(static_cast<std::uint64_t>(start_step));
  }
  double since_log_loss = 0;
  MeanList since_log_steps;
  std::vector<MetricList> since_log_stored;
  std::int64_t last_logged = start_step;
  double loss_total = 0;
  double epoch_now = 0;
  m.hf.max_steps = total;
  m.hf.logging_steps = log_every;
  m.hf.eval_steps = eval_every;
  m.hf.save_steps = save_every;
  m.hf.train_batch_size = o.batch_size;
  m.hf.num_train_epochs =
      static_cast<std::int64_t>(std::ceil(static_cast<double>(total) / static_cast<double>(spe)));
  m.hf.epoch_is_int = m.hf.total_flos_is_int = false;

  auto emit = [&](nlohmann::ordered_json logs, std::int64_t step) {
    if (tb) {
      for (const auto& [k, v] : logs.items())
        if (v.is_number()) tb->scalar(tb_tag(k), v.get<float>(), step);
    }
    result.log_history.push_back(logs);
    m.hf.global_step = step;
    m.hf.epoch = epoch_now;
    m.hf.record_log(nlohmann::json::parse(logs.dump()));
    TrainProgress p;
    p.global_step = step;
    p.max_steps = total;
    p.start_step = start_step;
    p.elapsed_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    add_train_message(logs, p);
    if (writes) append_jsonl(jsonl, logs);
    if (bar) {
      bar->close();
      bar.reset();
    }
    std::fprintf(stderr, "%s\n", py_json_dumps(logs).c_str());
    if (o.progress_bar && step < total) {
      bar = std::make_unique<ProgressBar>("Train", static_cast<std::uint64_t>(total));
      bar->set(static_cast<std::uint64_t>(step));
    }
  };

  auto do_eval = [&](std::int64_t step) {
    const auto e0 = Clock::now();
    const MetricList metrics = objective.evaluate(o.eval_batch_size, m.context(false));
    const double secs = std::chrono::duration<double>(Clock::now() - e0).count();
    nlohmann::ordered_json logs;
    double loss = 0;
    for (const auto& [k, v] : metrics) {
      logs[k] = v;
      if (k == "eval_loss") loss = v;
    }
    const double val_n = static_cast<double>(objective.val_units());
    logs["eval_runtime"] = py_round(secs, 4);
    logs["eval_samples_per_second"] = py_round(val_n / std::max(secs, 1e-9), 3);
    const double eval_steps_n = std::ceil(val_n / static_cast<double>(o.eval_batch_size));
    logs["eval_steps_per_second"] = py_round(eval_steps_n / std::max(secs, 1e-9), 3);
    logs["epoch"] = epoch_now;
    emit(logs, step);
    // metric_for_best_model "loss" (the only one without generation), as the HF Trainer.
    m.hf.global_step = step;
    m.hf.update_best_metric(loss, o.greater_is_better);
  };

  auto do_save = [&](std::int64_t step) {
    const std::string final_dir = fs::join(o.output_dir, "checkpoint-" + std::to_string(step));
    m.hf.global_step = step;
    m.hf.epoch = epoch_now;
    m.hf.prepare_save(o.output_dir);
    write_checkpoint_atomically(final_dir, [&](const std::string& dir) {
      if (m.save_model) m.save_model(dir);
      m.hf.write(fs::join(dir, "trainer_state.json"));
      if (!o.save_only_model) {
        save_training_state(dir, m.training_state(step, sched, epoch_now));
        const nlohmann::json st = objective.state();
        if (!st.is_null()) fs::write_file_atomic(fs::join(dir, "objective_state.json"), st.dump(2));
      }
    });
    result.last_checkpoint = final_dir;
    if (m.hf.best_model_checkpoint) {
      result.best_checkpoint = *m.hf.best_model_checkpoint;
      result.best_metric = m.hf.best_metric;
    }
    rotate_checkpoints(o.output_dir, o.save_total_limit ? *o.save_total_limit : 0,
                       result.best_checkpoint.empty()
                           ? std::nullopt
                           : std::optional<std::string>(result.best_checkpoint));
  };

  for (std::int64_t step = start_step + 1; step <= total; ++step) {
    const auto mbs = m.window(units, step - m.data_offset, &epoch_now);
    if (step == start_step + 1 && !m.objective_state.is_null())
      objective.restore(m.objective_state);
    const WindowResult w = objective.train_window(mbs, m.context(true));
    const double step_loss = w.loss;
    const double grad_norm = clip_grad_norm(m.params, o.max_grad_norm);
    SWIFT_CHECK(std::isfinite(step_loss) && std::isfinite(grad_norm),
                "[train] step {}: the loss is {} and the gradient norm {}; training stopped "
                "before the update. Try a lower --learning_rate, --max_grad_norm 1, float32 "
                "(--torch_dtype float32), or check the data of this step",
                step, step_loss, grad_norm);
    const double lr = sched.lr(step - 1);
    m.opt->step(lr);
    m.opt->zero_grad();

    StepRecord rec{step, step_loss, grad_norm, lr, 0, 0.0};
    for (const auto& [k, v] : w.step_metrics)
      if (k == "token_acc") rec.token_acc = v;
    if (auto* lm = dynamic_cast<LmObjective*>(&objective))
      rec.label_tokens = lm->last_label_tokens();
    rec.metrics = w.step_metrics;
    for (const auto& mb : w.stored) rec.metrics.insert(rec.metrics.end(), mb.begin(), mb.end());
    result.steps.push_back(rec);
    result.global_step = step;
    loss_total += step_loss;
    since_log_loss += step_loss;
    since_log_steps.add(w.step_metrics);
    for (const auto& mb : w.stored) since_log_stored.push_back(mb);
    if (bar) bar->set(static_cast<std::uint64_t>(step));
    if (m.on_step) m.on_step(step);

    const bool last = step == total;
    const bool epoch_end = step % spe == 0;
    bool should_log =
        o.logging_strategy != "no" && ((o.logging_first_step && step == 1) ||
                                       (o.logging_strategy == "steps" && step % log_every == 0) ||
                                       (o.logging_strategy == "epoch" && epoch_end) || last);
    bool should_eval = has_val && o.eval_strategy != "no" &&
                       ((o.eval_strategy == "steps" && step % eval_every == 0) ||
                        (o.eval_strategy == "epoch" && epoch_end) || last);
    bool should_save = writes && o.save_strategy != "no" &&
                       ((o.save_strategy == "steps" && step % save_every == 0) ||
                        (o.save_strategy == "epoch" && epoch_end) || last);
    if (should_log) {
      nlohmann::ordered_json logs;
      logs["loss"] = since_log_loss / static_cast<double>(step - last_logged);
      logs["grad_norm"] = grad_norm;
      logs["learning_rate"] = sched.lr(step);
      since_log_steps.put(logs);
      for (const auto& [k, v] : objective.reduce_stored(since_log_stored)) logs[k] = v;
      logs["epoch"] = epoch_now;
      emit(logs, step);
      since_log_loss = 0;
      since_log_steps.clear();
      since_log_stored.clear();
      last_logged = step;
    }
    if (should_eval) do_eval(step);
    if (should_save) do_save(step);
  }
  if (bar) bar->close();
  const double runtime = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::int64_t ran = total - start_step;
  result.train_loss = ran > 0 ? loss_total / static_cast<double>(ran) : 0.0;
  nlohmann::ordered_json end;
  end["train_runtime"] = py_round(runtime, 4);
  const double samples = static_cast<double>(ran) * o.batch_size * o.grad_accum;
  end["train_samples_per_second"] = py_round(samples / std::max(runtime, 1e-9), 3);
  end["train_steps_per_second"] = py_round(static_cast<double>(ran) / std::max(runtime, 1e-9), 3);
  end["total_flos"] = 0.0;
  end["train_loss"] = result.train_loss;
  end["epoch"] = epoch_now;
  emit(end, total);
  if (writes) {
    tb.reset();
    nlohmann::ordered_json msg = m.summary;
    msg["last_model_checkpoint"] = result.last_checkpoint.empty()
                                       ? nlohmann::ordered_json()
                                       : nlohmann::ordered_json(result.last_checkpoint);
    msg["best_model_checkpoint"] = result.best_checkpoint.empty()
                                       ? nlohmann::ordered_json()
                                       : nlohmann::ordered_json(result.best_checkpoint);
    msg["best_metric"] =
        result.best_metric ? nlohmann::ordered_json(*result.best_metric) : nlohmann::ordered_json();
    msg["global_step"] = total;
    msg["log_history"] = result.log_history;
    msg["memory"] = nlohmann::ordered_json::object();
    append_jsonl(jsonl, msg);
    if (o.tensorboard) {
      try {
        plot_images(fs::join(o.output_dir, "images"), tb_dir);
      } catch (const std::exception& e) {
        SWIFT_WARN("could not draw images/*.png: {}", e.what());
      }
    }
  }
  return result;
}

}  // namespace swift::train
