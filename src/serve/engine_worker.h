// The request queue in front of the engine: one thread owns the infer::Engine and steps it;
// HTTP threads only put requests into an inbox and read their events from a per-request
// channel, so no HTTP thread ever waits for a forward pass. Cancellation (a client that went
// away) is queued the same way and takes effect before the next step, which frees the
// request's KV blocks. Statistics are a snapshot taken after each step, so /metrics never
// waits either.
//
//   EngineWorker worker(engine, WorkerOptions{32, 256});  // max running, max waiting
//   auto h = worker.submit(std::move(request));   // throws QueueFull when too many wait
//   std::vector<WorkerEvent> events;
//   while (!h->wait(&events, std::chrono::milliseconds(200))) { /* keep-alive, check client */ }
//   ... h->cancel(); ... h->result() once an event has `done`
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "infer/engine.h"

namespace swift::serve {

// One thing that happened to a request, in order.
struct WorkerEvent {
  int choice = 0;
  std::string text;                            // newly final text of the choice
  std::int32_t token = -1;                     // the id just generated (-1: none)
  std::optional<infer::SampledToken> sampled;  // its logprobs when requested
  bool choice_finished = false;
  std::string finish_reason;  // with choice_finished: "stop" | "length" | "cancelled"
  bool done = false;          // the last event: the result (or the error) is ready
};

class RequestHandle {
 public:
  // Moves the events that arrived into `out` (appending). Waits up to `timeout` when none have;
  // false if still none.
  bool wait(std::vector<WorkerEvent>* out, std::chrono::milliseconds timeout);
  bool done() const;
  // After the `done` event: the engine's result, or the error that refused the request.
  const infer::GenerationResult& result() const { return result_; }
  const std::string& error() const { return error_; }
  void cancel();  // asynchronous; the events end with "cancelled" choices, then done
  std::chrono::steady_clock::time_point submitted_at() const { return submitted_; }

 private:
  friend class EngineWorker;
  void push(WorkerEvent e);
  void finish(infer::GenerationResult r);
  void fail(std::string message);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WorkerEvent> events_;
  bool done_ = false;
  infer::GenerationResult result_;
  std::string error_;
  std::atomic<bool> cancel_requested_{false};
  std::uint64_t engine_id_ = 0;
  class EngineWorker* worker_ = nullptr;
  std::chrono::steady_clock::time_point submitted_ = std::chrono::steady_clock::now();
};

// Thrown by submit when the queue is full (the server answers 503 with Retry-After) or the
// worker is shutting down.
class QueueFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct WorkerOptions {
  std::int64_t max_running = 32;   // the engine's max_num_seqs, for the queue bound
  std::int64_t max_waiting = 256;  // requests beyond max_running before submit refuses
};

struct WorkerStats {
  infer::EngineStats engine;   // as of the last step
  std::int64_t in_flight = 0;  // submitted and not yet done
  std::int64_t inbox = 0;      // not yet handed to the engine
  std::int64_t finished = 0;   // requests done since start
  std::int64_t cancelled = 0;  // of which cancelled by the client
  std::int64_t failed = 0;     // refused by the engine
};

class EngineWorker {
 public:
  EngineWorker(infer::Engine& engine, WorkerOptions options);
  ~EngineWorker();  // cancels what is left and joins the thread
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  std::shared_ptr<RequestHandle> submit(infer::GenerationRequest request);
  // Stops taking requests (submit throws QueueFull), lets the running ones finish for up to
  // `timeout`, then cancels the rest; returns when every request is done.
  void drain(std::chrono::milliseconds timeout);
  WorkerStats stats() const;

 private:
  friend class RequestHandle;
  void loop();

  infer::Engine& engine_;
  WorkerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<infer::GenerationRequest, std::shared_ptr<RequestHandle>>> inbox_;
  std::vector<RequestHandle*> cancels_;                            // each kept alive by live_
  std::map<RequestHandle*, std::shared_ptr<RequestHandle>> live_;  // submitted, not yet done
  std::condition_variable done_cv_;
  std::map<std::uint64_t, std::shared_ptr<RequestHandle>> active_;  // engine thread only
  std::int64_t in_flight_ = 0;
  bool accepting_ = true;
  bool stop_ = false;
  WorkerStats stats_;
  std::thread thread_;
};

}  // namespace swift::serve
