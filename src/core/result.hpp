// Result<T>: a value or the Error to render, for every expected failure.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "core/error.hpp"

namespace phonechat {

// Expected failures are values: a Result holds either a T or the Error to render.
template <typename T>
using Result = boost::system::result<T, Error>;

// Called by Result::value() on an error: a logic error, since callers check before taking the value.
[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& location);  // NOLINT

}  // namespace phonechat
