// Beast is confined to this file: its parser is compiled from phonechat_http's Boost sources.
#include <benchmark/benchmark.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <memory_resource>
#include <optional>
#include <string_view>
#include <tuple>

#include "benchmarks.hpp"

namespace phonechat::micro {
namespace {

namespace bhttp = boost::beast::http;

// What wrk sends for the list: a 256-bit base64url token, as `phonechat-api token` mints them.
constexpr std::string_view kListRequest =
    "GET /v1/PhoneChat/MadeBookings?BookingsPerPage=50&PageNumber=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Authorization: Bearer 3q2-7wYzJ0cK9bVxPq1Lr5sT8uWn4mEa6dFhGjKlZoI\r\n"
    "Accept: application/json\r\n"
    "\r\n";

// The server's configuration (src/http/server.cpp): fields and body in a per-connection arena released between
// requests, header limit 16 KiB.
using Allocator = std::pmr::polymorphic_allocator<char>;
using ArenaBody = bhttp::basic_string_body<char, std::char_traits<char>, Allocator>;
using ArenaParser = bhttp::request_parser<ArenaBody, Allocator>;
constexpr std::size_t kArenaBytes = 4096;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

// Feeds the whole request, then reads what the handler reads first: method, target, Authorization, Accept.
template <typename Parser>
bool ParseAndRead(Parser& parser) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(boost::none);
  boost::system::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(kListRequest.data(), kListRequest.size()), ec);
  if (ec || used != kListRequest.size() || !parser.is_done()) return false;
  const auto& message = parser.get();
  benchmark::DoNotOptimize(message.method_string().data());
  benchmark::DoNotOptimize(message.target().data());
  benchmark::DoNotOptimize(message.find(bhttp::field::authorization)->value().data());
  benchmark::DoNotOptimize(message.find(bhttp::field::accept)->value().data());
  return true;
}

void ParseInArena(benchmark::State& state) {
  std::array<std::byte, kArenaBytes> bytes{};
  std::pmr::monotonic_buffer_resource arena(bytes.data(), bytes.size(), std::pmr::new_delete_resource());
  std::optional<ArenaParser> parser;
  for (auto _ : state) {
    parser.reset();
    arena.release();
    parser.emplace(std::piecewise_construct, std::make_tuple(Allocator(&arena)), std::make_tuple(Allocator(&arena)));
    if (!ParseAndRead(*parser)) {
      state.SkipWithError("the request did not parse completely");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kListRequest.size()));
}

void ParseWithHeap(benchmark::State& state) {
  for (auto _ : state) {
    bhttp::request_parser<bhttp::string_body> parser;
    if (!ParseAndRead(parser)) {
      state.SkipWithError("the request did not parse completely");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kListRequest.size()));
}

}  // namespace

void RegisterParseBenchmarks() {
  benchmark::RegisterBenchmark("http/parse_list_request/arena", ParseInArena);
  benchmark::RegisterBenchmark("http/parse_list_request/heap", ParseWithHeap);
}

}  // namespace phonechat::micro
