// Boost.Context's ucontext fibers (the sanitizer build's: AddressSanitizer must be told of every stack switch, and
// only they tell it) keep a per-thread slot naming the record of whatever runs on the thread. The compiled library
// defines that slot only when it is itself built for ucontext, and Debian's is built for the assembler fcontext:
// this is the slot. Only the sanitizer build compiles this file.
#if defined(BOOST_USE_UCONTEXT)

#include <boost/context/fiber_ucontext.hpp>
#include <memory>

namespace boost::context::detail {

fiber_activation_record*& fiber_activation_record::current() noexcept {
  // The thread's own stack gets its record when the thread first switches to a fiber; it lives as long as the thread.
  thread_local const std::unique_ptr<fiber_activation_record> thread_record(new fiber_activation_record());
  thread_local fiber_activation_record* running = thread_record.get();
  return running;
}

}  // namespace boost::context::detail

#endif
