// The engine thread and the per-request channels; see engine_worker.h.
#include "serve/engine_worker.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <exception>

namespace swift::serve {

bool RequestHandle::wait(std::vector<WorkerEvent>* out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (events_.empty()) cv_.wait_for(lock, timeout, [&] { return !events_.empty(); });
  if (events_.empty()) return false;
  for (auto& e : events_) out->push_back(std::move(e));
  events_.clear();
  return true;
}

bool RequestHandle::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

void RequestHandle::cancel() {
  if (cancel_requested_.exchange(true)) return;
  EngineWorker* w = worker_;
  if (w == nullptr) return;
  // The worker holds a shared_ptr to every live handle, so a raw `this` is enough to find it.
  std::lock_guard<std::mutex> lock(w->mu_);
  if (!w->live_.count(this)) return;  // already done
  w->cancels_.push_back(this);
  w->cv_.notify_all();
}

void RequestHandle::push(WorkerEvent e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

void RequestHandle::finish(infer::GenerationResult r) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = std::move(r);
    done_ = true;
    WorkerEvent e;
    e.done = true;
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

void RequestHandle::fail(std::string message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = message.empty() ? std::string("the engine refused the request") : std::move(message);
    done_ = true;
    WorkerEvent e;
    e.done = true;
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

EngineWorker::EngineWorker(infer::Engine& engine, WorkerOptions options)
    : engine_(engine), options_(options) {
  stats_.engine = engine_.stats();
  // libtorch's intra-op thread count is per thread (OpenMP): the engine thread takes the one
  // configured on the creating thread (model::configure_cpu_threads), or it would start a second
  // full pool beside OpenBLAS's and run at half speed.
  const int threads = at::get_num_threads();
  thread_ = std::thread([this, threads] {
    at::set_num_threads(threads);
    loop();
  });
}

EngineWorker::~EngineWorker() {
  drain(std::chrono::milliseconds(0));
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<RequestHandle> EngineWorker::submit(infer::GenerationRequest request) {
  auto h = std::make_shared<RequestHandle>();
  h->worker_ = this;
  std::lock_guard<std::mutex> lock(mu_);
  if (!accepting_) throw QueueFull("the server is shutting down");
  const std::int64_t cap = std::max<std::int64_t>(options_.max_running, 1) +
                           std::max<std::int64_t>(options_.max_waiting, 0);
  if (in_flight_ >= cap)
    throw QueueFull("the server is busy: " + std::to_string(in_flight_) +
                    " requests are running or waiting; retry later");
  ++in_flight_;
  live_[h.get()] = h;
  inbox_.emplace_back(std::move(request), h);
  cv_.notify_all();
  return h;
}

void EngineWorker::drain(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  accepting_ = false;
  done_cv_.wait_for(lock, timeout, [&] { return in_flight_ == 0; });
  if (in_flight_ == 0) return;
  for (auto& [ptr, h] : live_) {
    h->cancel_requested_ = true;
    cancels_.push_back(ptr);
  }
  cv_.notify_all();
  done_cv_.wait(lock, [&] { return in_flight_ == 0; });
}

WorkerStats EngineWorker::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  WorkerStats s = stats_;
  s.in_flight = in_flight_;
  s.inbox = static_cast<std::int64_t>(inbox_.size());
  return s;
}

namespace {

infer::GenerationResult cancelled_result(int n) {
  infer::GenerationResult r;
  r.finished = true;
  r.choices.resize(static_cast<std::size_t>(std::max(n, 1)));
  for (std::size_t i = 0; i < r.choices.size(); ++i) {
    r.choices[i].index = static_cast<int>(i);
    r.choices[i].finish_reason = "cancelled";
  }
  return r;
}

}  // namespace

void EngineWorker::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock,
             [&] { return stop_ || !inbox_.empty() || !cancels_.empty() || !active_.empty(); });
    if (stop_ && inbox_.empty() && active_.empty()) break;
    auto inbox = std::move(inbox_);
    inbox_.clear();
    auto cancels = std::move(cancels_);
    cancels_.clear();
    lock.unlock();

    std::vector<RequestHandle*> done;
    std::int64_t cancelled = 0, failed = 0;
    for (auto& [req, h] : inbox) {
      if (h->cancel_requested_) {
        h->finish(cancelled_result(req.n));
        done.push_back(h.get());
        ++cancelled;
        continue;
      }
      try {
        RequestHandle* hp = h.get();
        const std::uint64_t id = engine_.submit(std::move(req), [hp](const infer::StreamDelta& d) {
          WorkerEvent e;
          e.choice = d.choice;
          e.text = d.text;
          e.token = d.token;
          if (d.sampled) e.sampled = *d.sampled;
          e.choice_finished = d.finished;
          e.finish_reason = d.finish_reason;
          hp->push(std::move(e));
        });
        h->engine_id_ = id;
        active_[id] = h;
      } catch (const std::exception& e) {
        h->fail(e.what());
        done.push_back(h.get());
        ++failed;
      }
    }
    for (RequestHandle* h : cancels) {
      if (h->engine_id_ != 0 && active_.count(h->engine_id_)) {
        engine_.cancel(h->engine_id_);
        ++cancelled;
      }
    }
    bool worked = false;
    std::string engine_error;
    try {
      worked = engine_.step();
    } catch (const std::exception& e) {
      engine_error = e.what();
    }
    for (auto it = active_.begin(); it != active_.end();) {
      if (!engine_error.empty() && !engine_.finished(it->first)) engine_.cancel(it->first);
      if (engine_.finished(it->first)) {
        auto r = engine_.take_result(it->first);
        if (!engine_error.empty()) {
          it->second->fail(engine_error);
          ++failed;
        } else {
          it->second->finish(std::move(r));
        }
        done.push_back(it->second.get());
        it = active_.erase(it);
      } else {
        ++it;
      }
    }
    const infer::EngineStats es = engine_.stats();
    lock.lock();
    for (RequestHandle* h : done) {
      live_.erase(h);
      cancels_.erase(std::remove(cancels_.begin(), cancels_.end(), h), cancels_.end());
    }
    in_flight_ -= static_cast<std::int64_t>(done.size());
    stats_.engine = es;
    stats_.finished += static_cast<std::int64_t>(done.size());
    stats_.cancelled += cancelled;
    stats_.failed += failed;
    if (!done.empty()) done_cv_.notify_all();
    if (!worked && !active_.empty() && inbox_.empty() && cancels_.empty()) {
      // Nothing runnable yet (should not happen: the engine admits or refuses); do not spin.
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      lock.lock();
    }
  }
}

}  // namespace swift::serve
