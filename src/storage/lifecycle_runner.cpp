// The two life-cycle runners. Group commit pays one durable commit (an fsync) for every request that arrived while
// the previous one was syncing, instead of one each; a request is answered only after the commit that holds it.

#include "storage/lifecycle_runner.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/io_wait.hpp"

namespace phonechat {
namespace {

class DirectRunner final : public LifecycleRunner {
 public:
  explicit DirectRunner(Store& store) : store_(store) {}

  void Run(const LifecycleWork& work) override {
    const std::unique_ptr<LifecycleTransaction> transaction = store_.BeginLifecycle();
    work(*transaction);
    transaction->Commit();
  }

 private:
  Store& store_;
};

// One caller's work, on the caller's stack until `done`: the writer thread fills `error` and then sets `done`.
struct Job {
  const LifecycleWork* work = nullptr;
  std::exception_ptr error;
  std::atomic<bool> done{false};
  int event_fd = -1;
};

class GroupCommitter final : public LifecycleRunner {
 public:
  GroupCommitter(Store& store, std::size_t max_batch)
      : store_(store), max_batch_(max_batch == 0 ? 1 : max_batch), thread_([this] { Loop(); }) {}

  ~GroupCommitter() override {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  void Run(const LifecycleWork& work) override {
    Job job;
    job.work = &work;
    job.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (job.event_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    struct CloseEvent {
      int fd;
      ~CloseEvent() { ::close(fd); }
    } close_event{job.event_fd};
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) throw StoreUnavailable("the server is stopping");
      queue_.push_back(&job);
    }
    wake_.notify_one();
    try {
      while (!job.done.load(std::memory_order_acquire)) {
        // A waiter that gives up (a drain cut short) cannot leave: the job and its work live on this stack.
        if (!WaitForIo(job.event_fd, IoEvent::kReadable, IoWaiter::kNoDeadline)) break;
      }
    } catch (...) {
      // Also a suspended coroutine being destroyed: it unwinds only once the writer is done with the job.
      WaitInPoll(job);
      throw;
    }
    WaitInPoll(job);
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  static void WaitInPoll(const Job& job) {
    while (!job.done.load(std::memory_order_acquire)) PollIo(job.event_fd, IoEvent::kReadable, IoWaiter::kNoDeadline);
  }

  static void Finish(Job& job) {
    // The caller may return (and free the job) as soon as `done` is set: the descriptor is written first.
    [[maybe_unused]] const int written = eventfd_write(job.event_fd, 1);
    job.done.store(true, std::memory_order_release);
  }

  void Loop() {
    std::vector<Job*> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        while (!queue_.empty() && batch.size() < max_batch_) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      RunBatch(batch);
      batch.clear();
    }
  }

  // Each job in a savepoint: a job that throws loses only its own writes. A failure of the transaction itself (its
  // beginning, a savepoint, the commit) loses the whole batch, and every job not failed already reports it.
  void RunBatch(const std::vector<Job*>& batch) {
    try {
      const std::unique_ptr<LifecycleTransaction> transaction = store_.BeginLifecycle();
      for (Job* job : batch) {
        transaction->Savepoint();
        try {
          (*job->work)(*transaction);
        } catch (...) {
          job->error = std::current_exception();
          transaction->RollbackToSavepoint();
          continue;
        }
        transaction->ReleaseSavepoint();
      }
      transaction->Commit();
    } catch (...) {
      for (Job* job : batch) {
        if (!job->error) job->error = std::current_exception();
      }
    }
    for (Job* job : batch) Finish(*job);
  }

  Store& store_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once everything above is ready
};

}  // namespace

std::unique_ptr<LifecycleRunner> NewDirectRunner(Store& store) { return std::make_unique<DirectRunner>(store); }

std::unique_ptr<LifecycleRunner> NewGroupCommitter(Store& store, std::size_t max_batch) {
  return std::make_unique<GroupCommitter>(store, max_batch);
}

}  // namespace phonechat
