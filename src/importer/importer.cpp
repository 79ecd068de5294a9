// The JSON Lines import's pipeline: the input read in chunks of lines, each chunk parsed and decoded on a helper
// thread, every record put into one write batch, and the first bad line reported by its number.
#include "importer/importer.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "importer/line_parser.hpp"
#include "importer/record_decoding.hpp"

namespace phonechat {

namespace {

using importer::DecodedRecord;
using importer::Fail;
using importer::LineFailure;
using importer::LineParser;
using importer::RecordHandler;

// Longest accepted line: a record is a few hundred bytes, so anything near this is not a record.
constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

enum class LineRead { kLine, kTooLong, kEnd };

// Splits a stream into lines through one buffer that holds at most one read more than the longest accepted line.
class LineReader {
 public:
  explicit LineReader(std::streambuf& input) : input_(input), buffer_(kMaxLineBytes + kReadBytes) {}

  // The next line without its '\n' (a final '\r' dropped) in `line`, valid until the next call.
  LineRead Next(std::string_view& line) {
    for (;;) {
      const char* start = buffer_.data() + begin_;
      const std::size_t available = end_ - begin_;
      if (const void* newline = std::memchr(start + scanned_, '\n', available - scanned_)) {
        const auto size = static_cast<std::size_t>(static_cast<const char*>(newline) - start);
        begin_ += size + 1;
        scanned_ = 0;
        return Finish(std::string_view(start, size), line);
      }
      scanned_ = available;
      if (available > kMaxLineBytes) return LineRead::kTooLong;
      if (at_end_) {
        if (available == 0) return LineRead::kEnd;
        begin_ = end_;
        scanned_ = 0;
        return Finish(std::string_view(start, available), line);
      }
      Refill();
    }
  }

 private:
  static constexpr std::size_t kReadBytes = std::size_t{256} << 10;

  static LineRead Finish(std::string_view text, std::string_view& line) {
    if (text.size() > kMaxLineBytes) return LineRead::kTooLong;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    line = text;
    return LineRead::kLine;
  }

  // Moves the unfinished line to the front, then reads as much as fits after it (at least kReadBytes: the
  // unfinished line is at most kMaxLineBytes long).
  void Refill() {
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    const auto read = input_.sgetn(buffer_.data() + end_, static_cast<std::streamsize>(buffer_.size() - end_));
    if (read <= 0) {
      at_end_ = true;
    } else {
      end_ += static_cast<std::size_t>(read);
    }
  }

  std::streambuf& input_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // the unread bytes are [begin_, end_)
  std::size_t end_ = 0;
  std::size_t scanned_ = 0;  // bytes after begin_ already known to hold no '\n'
  bool at_end_ = false;
};

// Why a line cannot be imported: the reason, or an exception that is not about the line.
struct LineError {
  std::string reason;
  std::exception_ptr exception;
};

// What one non-blank line holds, checked against the format.
struct ParsedLine {
  std::int64_t line_number = 0;
  DecodedRecord record;
  std::optional<LineError> error;  // set for a bad line, whose `record` is then of no use
};

// A run of consecutive input lines on their way to the parser thread, and back with what they hold.
struct LineChunk {
  struct Line {
    std::size_t begin = 0;  // in `text`
    std::size_t size = 0;
    std::int64_t number = 0;
    bool too_long = false;
  };

  std::string text;  // the lines, one after another
  std::vector<Line> lines;
  std::vector<ParsedLine> parsed;  // in line order; ends at the first bad line
};

// Lines per chunk, and bytes after which a chunk takes no more lines: enough to make the hand-over between the
// threads rare, small enough to keep memory flat.
constexpr std::size_t kChunkLines = 512;
constexpr std::size_t kChunkTextBytes = std::size_t{512} << 10;
// Chunks read ahead of the one being stored.
constexpr std::size_t kChunksInFlight = 4;

// Reads lines into `chunk` (emptied first) until it is full; false once the input is exhausted, or after a line
// too long to import (nothing after it matters).
bool FillChunk(LineReader& reader, std::int64_t& line_number, LineChunk& chunk) {
  chunk.text.clear();
  chunk.lines.clear();
  chunk.parsed.clear();
  while (chunk.lines.size() < kChunkLines && chunk.text.size() < kChunkTextBytes) {
    std::string_view line;
    const auto read = reader.Next(line);
    if (read == LineRead::kEnd) return false;
    ++line_number;
    chunk.lines.push_back({chunk.text.size(), line.size(), line_number, read == LineRead::kTooLong});
    if (read == LineRead::kTooLong) return false;
    chunk.text.append(line);
  }
  return true;
}

// Parses and checks one line; nullopt for a blank line. Throws LineFailure for a bad line.
std::optional<ParsedLine> ParseLine(LineParser& parser, const LineChunk::Line& line, std::string_view text,
                                    LocalDateTime now) {
  if (line.too_long) Fail("the line is longer than 1 MiB");
  if (line.number == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) return std::nullopt;
  const RecordHandler& record = parser.Parse(text);
  ParsedLine parsed{line.number, {}, std::nullopt};
  importer::DecodeRecord(record, parsed.record, now);
  return parsed;
}

// Fills chunk.parsed with the records of its lines, up to and including the first bad line.
void ParseChunk(LineParser& parser, LineChunk& chunk, LocalDateTime now) {
  for (const auto& line : chunk.lines) {
    try {
      if (auto parsed = ParseLine(parser, line, std::string_view(chunk.text).substr(line.begin, line.size), now)) {
        chunk.parsed.push_back(std::move(*parsed));
      }
    } catch (const LineFailure& failure) {
      chunk.parsed.push_back({line.number, {}, LineError{failure.what(), nullptr}});
      return;
    } catch (const std::runtime_error& error) {
      chunk.parsed.push_back(
          {line.number, {}, LineError{std::string("cannot store the record: ") + error.what(), nullptr}});
      return;
    } catch (...) {
      chunk.parsed.push_back({line.number, {}, LineError{{}, std::current_exception()}});
      return;
    }
  }
}

// Parses and checks chunks on a thread of its own, in the order they are submitted, while the caller stores the
// records of earlier ones: the two halves of an import then share the machine's cores. The thread never touches
// the input or the store, so stopping it never waits on either.
class ParserThread {
 public:
  // Decodes with `now` as the import's local time.
  explicit ParserThread(LocalDateTime now) : now_(now), thread_([this] { Run(); }) {}

  ~ParserThread() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    submitted_.notify_one();
    thread_.join();
  }

  ParserThread(const ParserThread&) = delete;
  ParserThread& operator=(const ParserThread&) = delete;

  void Submit(std::unique_ptr<LineChunk> chunk) {
    {
      const std::lock_guard lock(mutex_);
      todo_.push_back(std::move(chunk));
    }
    submitted_.notify_one();
  }

  // The oldest submitted chunk once parsed.
  std::unique_ptr<LineChunk> Next() {
    std::unique_lock lock(mutex_);
    parsed_.wait(lock, [this] { return !done_.empty(); });
    auto chunk = std::move(done_.front());
    done_.pop_front();
    return chunk;
  }

 private:
  void Run() {
    LineParser parser;
    for (;;) {
      std::unique_ptr<LineChunk> chunk;
      {
        std::unique_lock lock(mutex_);
        submitted_.wait(lock, [this] { return stop_ || !todo_.empty(); });
        if (stop_) return;
        chunk = std::move(todo_.front());
        todo_.pop_front();
      }
      ParseChunk(parser, *chunk, now_);
      {
        const std::lock_guard lock(mutex_);
        done_.push_back(std::move(chunk));
      }
      parsed_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable submitted_;
  std::condition_variable parsed_;
  std::deque<std::unique_ptr<LineChunk>> todo_;
  std::deque<std::unique_ptr<LineChunk>> done_;
  bool stop_ = false;
  LocalDateTime now_;
  std::thread thread_;  // last: it starts using the members above at once
};

void CheckStored(const std::string& reason) {
  if (!reason.empty()) Fail(reason);
}

}  // namespace

ImportCounts ImportJsonLines(Store& store, std::istream& input, bool replace, LocalDateTime now) {
  std::streambuf* buffer = input.rdbuf();
  if (buffer == nullptr) throw std::invalid_argument("ImportJsonLines: the input stream has no buffer");
  auto batch = store.BeginWriteBatch();
  LineReader reader(*buffer);
  ParserThread parser(now);
  std::vector<std::unique_ptr<LineChunk>> spare_chunks;
  std::size_t in_flight = 0;
  bool more_input = true;
  std::int64_t lines_read = 0;
  ImportCounts counts;
  // Records are numbered by their Put* call; a blank line shifts the numbering from the lines, and each shift is
  // kept (few in practice) so that a record the batch rejects at Commit() is reported by its line.
  std::int64_t records = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> line_shifts;  // (first record, line - record) from there on
  const auto next_record = [&](std::int64_t line_number) {
    ++records;
    if (line_shifts.empty() || line_shifts.back().second != line_number - records) {
      line_shifts.emplace_back(records, line_number - records);
    }
  };
  for (;;) {
    while (more_input && in_flight < kChunksInFlight) {
      std::unique_ptr<LineChunk> chunk;
      if (spare_chunks.empty()) {
        chunk = std::make_unique<LineChunk>();
      } else {
        chunk = std::move(spare_chunks.back());
        spare_chunks.pop_back();
      }
      more_input = FillChunk(reader, lines_read, *chunk);
      if (chunk->lines.empty()) {
        spare_chunks.push_back(std::move(chunk));
      } else {
        parser.Submit(std::move(chunk));
        ++in_flight;
      }
    }
    if (in_flight == 0) break;
    auto chunk = parser.Next();
    --in_flight;
    for (auto& parsed : chunk->parsed) {
      const std::int64_t line_number = parsed.line_number;
      if (parsed.error) {
        if (parsed.error->exception) std::rethrow_exception(parsed.error->exception);
        throw ImportError(line_number, parsed.error->reason);
      }
      next_record(line_number);
      try {
        if (const auto* booking = std::get_if<BookingRecord>(&parsed.record)) {
          CheckStored(batch->PutBooking(*booking, replace));
          ++counts.bookings;
        } else if (const auto* user = std::get_if<UserRecord>(&parsed.record)) {
          CheckStored(batch->PutUser(*user, replace));
          ++counts.users;
        } else if (const auto* group = std::get_if<GroupRecord>(&parsed.record)) {
          CheckStored(batch->PutGroup(*group, replace));
          ++counts.groups;
        } else if (const auto* credit = std::get_if<CreditRecord>(&parsed.record)) {
          CheckStored(batch->PutCredit(*credit));
          ++counts.credits;
        } else {
          CheckStored(batch->PutProject(std::get<ProjectRecord>(parsed.record), replace));
          ++counts.projects;
        }
      } catch (const LineFailure& failure) {
        throw ImportError(line_number, failure.what());
      } catch (const StoreUnavailable&) {
        throw;
      } catch (const std::runtime_error& error) {
        throw ImportError(line_number, std::string("cannot store the record: ") + error.what());
      }
    }
    spare_chunks.push_back(std::move(chunk));
  }
  try {
    batch->Commit();
  } catch (const RecordRejected& rejected) {
    const auto shift = std::upper_bound(line_shifts.begin(), line_shifts.end(), rejected.Record(),
                                        [](std::int64_t record, const auto& entry) { return record < entry.first; });
    const std::int64_t offset = shift == line_shifts.begin() ? 0 : std::prev(shift)->second;
    throw ImportError(rejected.Record() + offset, rejected.what());
  }
  return counts;
}

}  // namespace phonechat
