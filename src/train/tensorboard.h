// TensorBoard event files for `runs/` (ms-swift's --report_to tensorboard): TFRecord framing
// (length, masked CRC-32C, data, masked CRC-32C) around Event protos holding scalar summaries,
// encoded as TensorBoard's own writer encodes them. No TensorFlow or protobuf library needed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace swift::train {

// CRC-32C (Castagnoli) and TFRecord's masking of it.
std::uint32_t crc32c(std::string_view data);
std::uint32_t masked_crc32c(std::string_view data);

// One encoded record: the framing around `payload`.
std::string tfrecord(std::string_view payload);
// Event protos: the file_version header event and one scalar summary (tag, simple_value).
std::string event_file_version(double wall_time);
std::string event_scalar(double wall_time, std::int64_t step, const std::string& tag, float value);

// Appends events to <logdir>/events.out.tfevents.<time>.<host>.<pid>.0, flushing each record, so a
// crash leaves at most one torn record at the end (TensorBoard's reader stops there).
class EventWriter {
 public:
  explicit EventWriter(const std::string& logdir);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  void scalar(const std::string& tag, float value, std::int64_t step);
  void scalar(const std::string& tag, float value, std::int64_t step, double wall_time);
  const std::string& path() const { return path_; }

 private:
  void write(const std::string& payload);
  std::string path_;
  std::FILE* file_ = nullptr;
};

// What read_events() finds in an event file (for tests and resume checks).
struct ScalarEvent {
  double wall_time = 0;
  std::int64_t step = 0;
  std::string tag;
  float value = 0;
};
// Reads every scalar; throws on a bad CRC or a record that is not an Event. A torn last record
// (a crash while writing) ends the list, as TensorBoard's reader does.
std::vector<ScalarEvent> read_scalar_events(const std::string& path,
                                            std::string* file_version = nullptr);

}  // namespace swift::train
