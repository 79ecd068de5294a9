// The life-cycle runners over every backend: group commit shares one commit among the work that waits, keeps each
// caller's work all-or-nothing, and answers nobody before the commit that holds their writes.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "storage/lifecycle_runner.hpp"
#include "storage/lifecycle_store.hpp"
#include "storage/store.hpp"
#include "storage_test_support.hpp"

namespace phonechat::testing {
namespace {

constexpr std::int64_t kJan2020 = 18'262 * 86'400'000LL;

// A store that counts the transactions begun on it and can refuse to begin one.
class CountingStore final : public Store {
 public:
  explicit CountingStore(Store& inner) : inner_(inner) {}
  std::unique_ptr<StoreSession> OpenSession() override { return inner_.OpenSession(); }
  std::unique_ptr<WriteBatch> BeginWriteBatch() override { return inner_.BeginWriteBatch(); }
  void InsertToken(const NewToken& token) override { inner_.InsertToken(token); }
  bool RevokeToken(std::string_view token_hash) override { return inner_.RevokeToken(token_hash); }
  bool IsEmpty() override { return inner_.IsEmpty(); }
  LedgerAudit AuditLedger() override { return inner_.AuditLedger(); }
  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override {
    ++begun;
    if (refuse_to_begin) throw StoreUnavailable("the test refuses to begin");
    return inner_.BeginLifecycle();
  }

  std::atomic<int> begun{0};
  std::atomic<bool> refuse_to_begin{false};

 private:
  Store& inner_;
};

StoredBooking NewBooking(std::string comments) {
  StoredBooking booking;
  booking.client_user_id = 1;
  booking.candidate.user_id = 2;
  booking.duration_minutes = 15;
  booking.credits = Credits{80'000};
  booking.offered_credits = Credits{80'000};
  booking.status = BookingStatus::kPending;
  booking.method = ContactMethod::kCandidateCalls;
  booking.create_date = LocalDateTime{kJan2020};
  booking.accept_by = LocalDateTime{kJan2020};
  booking.session_date = LocalDateTime{kJan2020};
  booking.comments = std::move(comments);
  return booking;
}

class LifecycleRunnerTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    location_ = GetParam().location(dir_);
    store_ = GetParam().open(location_);
    auto batch = store_->BeginWriteBatch();
    for (const UserId id : {1, 2}) {
      UserRecord user;
      user.user_id = id;
      user.nickname = "user" + std::to_string(id);
      ASSERT_EQ(batch->PutUser(user, false), "");
    }
    batch->Commit();
    counting_ = std::make_unique<CountingStore>(*store_);
  }

  // The comments of client 1's bookings as stored, read on a fresh session.
  std::vector<std::string> StoredComments() {
    MadeBookingsQuery query;
    query.client_user_id = 1;
    std::vector<std::string> comments;
    for (const auto& booking : store_->OpenSession()->MadeBookingsPage(query, 0, 1000)) {
      comments.push_back(booking.comments.value_or(""));
    }
    std::sort(comments.begin(), comments.end());
    return comments;
  }

  // Runs `count` callers at once while the first one's work waits `hold`: the others arrive during its batch.
  void RunWhileTheFirstHolds(LifecycleRunner& runner, int count, std::chrono::milliseconds hold,
                             const std::function<void(int, LifecycleTransaction&)>& work,
                             std::vector<std::exception_ptr>& errors) {
    errors.assign(static_cast<std::size_t>(count), nullptr);
    std::promise<void> first_running;
    std::thread first([&] {
      try {
        runner.Run([&](LifecycleTransaction& transaction) {
          first_running.set_value();
          std::this_thread::sleep_for(hold);
          work(0, transaction);
        });
      } catch (...) {
        errors[0] = std::current_exception();
      }
    });
    first_running.get_future().wait();
    std::vector<std::thread> others;
    for (int i = 1; i < count; ++i) {
      others.emplace_back([&, i] {
        try {
          runner.Run([&, i](LifecycleTransaction& transaction) { work(i, transaction); });
        } catch (...) {
          errors[static_cast<std::size_t>(i)] = std::current_exception();
        }
      });
    }
    first.join();
    for (auto& thread : others) thread.join();
  }

  TempDir dir_;
  std::string location_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CountingStore> counting_;
};

TEST_P(LifecycleRunnerTest, WorkThatArrivesDuringACommitSharesTheNextOneAndEveryWriteIsKept) {
  const std::unique_ptr<LifecycleRunner> runner = NewGroupCommitter(*counting_);
  std::vector<std::exception_ptr> errors;
  constexpr int kCallers = 24;
  RunWhileTheFirstHolds(*runner, kCallers, std::chrono::milliseconds(300),
                        [](int i, LifecycleTransaction& transaction) {
                          transaction.InsertBooking(NewBooking("caller " + std::to_string(100 + i)));
                        },
                        errors);
  for (const auto& error : errors) EXPECT_EQ(error, nullptr);
  EXPECT_EQ(StoredComments().size(), static_cast<std::size_t>(kCallers));
  // The first batch holds the first caller; the others waited together.
  EXPECT_LT(counting_->begun.load(), kCallers);
  EXPECT_LE(counting_->begun.load(), 3);
}

TEST_P(LifecycleRunnerTest, WorkThatThrowsLosesOnlyItsOwnWritesAndItsCallerGetsTheError) {
  const std::unique_ptr<LifecycleRunner> runner = NewGroupCommitter(*counting_);
  std::vector<std::exception_ptr> errors;
  RunWhileTheFirstHolds(*runner, 6, std::chrono::milliseconds(200),
                        [](int i, LifecycleTransaction& transaction) {
                          transaction.InsertBooking(NewBooking("caller " + std::to_string(i)));
                          if (i % 2 == 1) throw std::runtime_error("caller " + std::to_string(i) + " gives up");
                        },
                        errors);
  for (int i = 0; i < 6; ++i) {
    if (i % 2 == 0) {
      EXPECT_EQ(errors[i], nullptr);
      continue;
    }
    ASSERT_NE(errors[i], nullptr);
    try {
      std::rethrow_exception(errors[i]);
    } catch (const std::runtime_error& error) {
      EXPECT_EQ(std::string(error.what()), "caller " + std::to_string(i) + " gives up");
    }
  }
  EXPECT_EQ(StoredComments(), (std::vector<std::string>{"caller 0", "caller 2", "caller 4"}));
}

TEST_P(LifecycleRunnerTest, WhenTheTransactionCannotBeginEveryCallerOfTheBatchGetsTheErrorAndNothingIsKept) {
  const std::unique_ptr<LifecycleRunner> runner = NewGroupCommitter(*counting_);
  counting_->refuse_to_begin = true;
  std::vector<std::thread> callers;
  std::atomic<int> refused{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&, i] {
      try {
        runner->Run([i](LifecycleTransaction& transaction) {
          transaction.InsertBooking(NewBooking("caller " + std::to_string(i)));
        });
      } catch (const StoreUnavailable&) {
        ++refused;
      }
    });
  }
  for (auto& thread : callers) thread.join();
  EXPECT_EQ(refused.load(), 8);
  EXPECT_TRUE(StoredComments().empty());
  counting_->refuse_to_begin = false;
  runner->Run([](LifecycleTransaction& transaction) { transaction.InsertBooking(NewBooking("after")); });
  EXPECT_EQ(StoredComments(), std::vector<std::string>{"after"});
}

TEST_P(LifecycleRunnerTest, WorkStillQueuedWhenTheCommitterGoesIsRunFirst) {
  auto runner = NewGroupCommitter(*counting_);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> first_running;
  std::vector<std::thread> callers;
  callers.emplace_back([&] {
    runner->Run([&](LifecycleTransaction& transaction) {
      first_running.set_value();
      released.wait();
      transaction.InsertBooking(NewBooking("first"));
    });
  });
  first_running.get_future().wait();
  std::atomic<int> done{0};
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&, i] {
      runner->Run([i](LifecycleTransaction& transaction) {
        transaction.InsertBooking(NewBooking("queued " + std::to_string(i)));
      });
      ++done;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::thread destroyer([&] { runner.reset(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  release.set_value();
  destroyer.join();
  for (auto& thread : callers) thread.join();
  EXPECT_EQ(done.load(), 4);
  EXPECT_EQ(StoredComments().size(), 5U);
}

TEST_P(LifecycleRunnerTest, TheDirectRunnerCommitsEachWorkAloneAndKeepsNothingOfWorkThatThrows) {
  const std::unique_ptr<LifecycleRunner> runner = NewDirectRunner(*counting_);
  runner->Run([](LifecycleTransaction& transaction) { transaction.InsertBooking(NewBooking("kept")); });
  EXPECT_THROW(runner->Run([](LifecycleTransaction& transaction) {
    transaction.InsertBooking(NewBooking("lost"));
    throw std::runtime_error("gives up");
  }),
               std::runtime_error);
  EXPECT_EQ(StoredComments(), std::vector<std::string>{"kept"});
  EXPECT_EQ(counting_->begun.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, LifecycleRunnerTest, ::testing::ValuesIn(AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace phonechat::testing
