// The request parser of a connection: Beast's parser fed from the receive buffer, the limits it does not enforce
// itself, the framing decision and the head of each answer.

#include "http/request_reader.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory_resource>
#include <optional>
#include <utility>
#include <vector>

#include "http/request_head.hpp"

namespace phonechat::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

// The header fields and body of a request live in a per-connection arena that is reset between requests, so
// parsing a typical request allocates nothing.
using Allocator = std::pmr::polymorphic_allocator<char>;
using RequestBody = bhttp::basic_string_body<char, std::char_traits<char>, Allocator>;
using Parser = bhttp::request_parser<RequestBody, Allocator>;
using Message = Parser::value_type;

constexpr std::size_t kInitialBuffer = 4096;
constexpr std::size_t kMinRead = 512;
constexpr std::size_t kArenaBytes = 4096;
constexpr std::size_t kCrlf = 2;

std::string_view View(beast::string_view text) { return {text.data(), text.size()}; }

Error RefusalOf(ErrorCode code) { return Error{code, {}, {}, {}, false}; }

void AppendNumber(std::string& out, std::uint64_t value) {
  std::array<char, 24> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
  out.append(digits.data(), end);
}

// A CR, LF or NUL in a handler-supplied header would let request data forge response headers.
void AppendHeaderText(std::string& out, std::string_view text) {
  using std::literals::string_view_literals::operator""sv;
  if (text.find_first_of("\r\n\0"sv) == std::string_view::npos) {
    out.append(text);
    return;
  }
  for (const char c : text) out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
}

// Framing belongs to the server: the handler cannot override it.
bool IsFramingHeader(std::string_view name) {
  const beast::string_view n(name.data(), name.size());
  return beast::iequals(n, "Content-Length") || beast::iequals(n, "Transfer-Encoding") ||
         beast::iequals(n, "Connection");
}

// The application's view of the parsed request: an absolute-form target is handed over in origin form.
class MessageView final : public Request {
 public:
  MessageView(const std::optional<Parser>& parser, const std::optional<std::string>& rewritten_target)
      : parser_(parser), rewritten_target_(rewritten_target) {}
  [[nodiscard]] std::string_view Method() const override { return View(parser_->get().method_string()); }
  [[nodiscard]] std::string_view Target() const override {
    return rewritten_target_ ? std::string_view(*rewritten_target_) : View(parser_->get().target());
  }
  [[nodiscard]] std::optional<std::string_view> Header(std::string_view name) const override {
    const Message& message = parser_->get();
    const auto found = message.find(beast::string_view(name.data(), name.size()));
    if (found == message.end()) return std::nullopt;
    return View(found->value());
  }
  [[nodiscard]] std::string_view Body() const override {
    const auto& body = parser_->get().body();
    return {body.data(), body.size()};
  }

 private:
  const std::optional<Parser>& parser_;
  const std::optional<std::string>& rewritten_target_;
};

}  // namespace

int EffectiveStatus(int status) { return status < 100 || status > 999 ? 500 : status; }

bool IsBodyless(int status) { return status < 200 || status == 204 || status == 304; }

struct RequestReader::State {
  explicit State(const ServerOptions& server_options)
      : options(server_options),
        buffer(options.max_request_line + options.max_header_bytes + 2 * kCrlf + kInitialBuffer),
        header_limit(static_cast<std::uint32_t>(
            std::min<std::size_t>(std::max(options.max_request_line, options.max_header_bytes) + kCrlf,
                                  std::numeric_limits<std::uint32_t>::max()))) {
    buffer.reserve(kInitialBuffer);
  }

  Step Refuse(Error error) {
    refusal = std::move(error);
    return Step::kRefused;
  }
  Step Refuse(ErrorCode code) { return Refuse(RefusalOf(code)); }
  [[nodiscard]] bool BufferFull() const { return buffer.size() >= buffer.max_size(); }
  void DropTrailers();

  const ServerOptions& options;
  beast::flat_buffer buffer;
  std::uint32_t header_limit;
  std::array<std::byte, kArenaBytes> arena_bytes{};
  std::pmr::monotonic_buffer_resource arena{arena_bytes.data(), arena_bytes.size(), std::pmr::new_delete_resource()};
  std::optional<Parser> parser;
  Error refusal;
  std::optional<std::string> rewritten_target;  // the current request's absolute-form target in origin form
  std::size_t header_fields = 0;                // fields of the current request's header section
  // ReadHeader's progress over its calls for one request.
  std::size_t line_length = 0;  // the request line's, with its CRLF; 0 until the line's end has arrived
  std::size_t consumed = 0;     // bytes the parser has taken
  MessageView view{parser, rewritten_target};
};

RequestReader::RequestReader(const ServerOptions& options) : state_(std::make_unique<State>(options)) {}

RequestReader::~RequestReader() = default;

std::size_t RequestReader::Buffered() const { return state_->buffer.size(); }

std::span<char> RequestReader::Prepare() {
  beast::flat_buffer& buffer = state_->buffer;
  const std::size_t room = buffer.max_size() - buffer.size();
  if (room == 0) return {};
  const std::size_t want = std::min(room, std::max(kMinRead, buffer.capacity() - buffer.size()));
  const auto prepared = buffer.prepare(want);
  return {static_cast<char*>(prepared.data()), prepared.size()};
}

void RequestReader::Commit(std::size_t received) { state_->buffer.commit(received); }

std::span<char> RequestReader::PrepareDiscard() {
  beast::flat_buffer& buffer = state_->buffer;
  buffer.clear();
  const auto prepared = buffer.prepare(std::min(buffer.max_size(), kInitialBuffer));
  return {static_cast<char*>(prepared.data()), prepared.size()};
}

void RequestReader::StartRequest() {
  State& state = *state_;
  state.parser.reset();
  state.arena.release();
  state.parser.emplace(std::piecewise_construct, std::make_tuple(Allocator(&state.arena)),
                       std::make_tuple(Allocator(&state.arena)));
  state.parser->header_limit(state.header_limit);
  state.parser->body_limit(boost::none);  // checked against Content-Length once the whole header is known
  state.rewritten_target.reset();
  state.header_fields = 0;
  state.line_length = 0;
  state.consumed = 0;
}

RequestReader::Step RequestReader::ReadHeader() {
  // Beast enforces one limit on the request line and the header fields alike; the request line's own (smaller)
  // limit is told apart here, by where the first line ends.
  State& state = *state_;
  beast::flat_buffer& buffer = state.buffer;
  const ServerOptions& options = state.options;
  for (;;) {
    if (state.consumed == 0) {
      // Empty lines before a request line are ignored (RFC 9112 §2.2), e.g. a CRLF sent after a previous body.
      const auto* data = static_cast<const char*>(buffer.data().data());
      std::size_t blank = 0;
      while (blank < buffer.size() && (data[blank] == '\r' || data[blank] == '\n')) ++blank;
      buffer.consume(blank);
    }
    if (buffer.size() == 0) return Step::kNeedMore;
    if (state.line_length == 0) {
      const auto* data = static_cast<const char*>(buffer.data().data());
      const std::size_t window = std::min(buffer.size(), options.max_request_line + kCrlf);
      if (const void* end = std::memchr(data, '\n', window)) {
        state.line_length = static_cast<std::size_t>(static_cast<const char*>(end) - data) + 1;
      } else if (buffer.size() >= options.max_request_line + kCrlf) {
        return state.Refuse(ErrorCode::kUriTooLong);
      }
    }
    error_code ec;
    const std::size_t used = state.parser->put(buffer.data(), ec);
    buffer.consume(used);
    state.consumed += used;
    if (!ec && state.parser->is_header_done()) break;
    if (ec == bhttp::error::header_limit) {
      return state.Refuse(state.line_length == 0 ? ErrorCode::kUriTooLong : ErrorCode::kHeadersTooLarge);
    }
    if (ec && ec != bhttp::error::need_more) return state.Refuse(ErrorCode::kMalformedHttp);
    if (!ec && used > 0) continue;
    // More is needed, and no room is left to receive it.
    if (state.BufferFull()) return state.Refuse(ErrorCode::kHeadersTooLarge);
    return Step::kNeedMore;
  }
  // Beast bounds the fields parsed in one go; fields that trickled in are summed here.
  if (state.line_length > options.max_request_line + kCrlf) return state.Refuse(ErrorCode::kUriTooLong);
  if (state.consumed > state.line_length + options.max_header_bytes + kCrlf) {
    return state.Refuse(ErrorCode::kHeadersTooLarge);
  }
  return Step::kComplete;
}

// The one framing decision (docs/security.md, "Message framing"), made on the complete header section. Beast's
// parser has framed the body by rules of its own, which depend on the order of the fields; the request is served
// only when both agree, so that no body can be read one way here and another way by a proxy in front.
RequestReader::Step RequestReader::CheckHead() {
  State& state = *state_;
  const Parser& parser = *state.parser;
  const Message& message = parser.get();
  std::pmr::vector<FieldLine> fields(&state.arena);
  for (const auto& field : message) fields.push_back(FieldLine{View(field.name_string()), View(field.value())});
  state.header_fields = fields.size();
  const RequestHead head{View(message.method_string()), View(message.target()), message.version(), fields};
  Result<AcceptedHead> accepted = CheckRequestHead(head, state.options.unique_fields);
  if (!accepted) return state.Refuse(accepted.error());
  bool agrees = false;
  switch (accepted->framing) {
    case BodyFraming::kNone:
      agrees = !parser.chunked() && parser.is_done();
      break;
    case BodyFraming::kContentLength:
      agrees = !parser.chunked() && parser.content_length() == accepted->content_length;
      break;
    case BodyFraming::kChunked:
      agrees = parser.chunked();
      break;
  }
  if (!agrees) {
    return state.Refuse(Error{ErrorCode::kMalformedHttp, "The request's message framing is ambiguous.", {}, {}, false});
  }
  state.rewritten_target = std::move(accepted->rewritten_target);
  return Step::kComplete;
}

// Beast adds a chunked body's trailer fields to the header fields. RFC 9110 §6.5.1: a recipient "MUST NOT merge a
// trailer field into a header section unless ... its definition explicitly permits"; none that this server reads
// does, so they are dropped, and a trailer can never supply a credential the header section did not.
void RequestReader::State::DropTrailers() {
  Message& message = parser->get();
  auto field = message.begin();
  for (std::size_t index = 0; index < header_fields && field != message.end(); ++index) ++field;
  while (field != message.end()) field = message.erase(field);
}

RequestReader::Step RequestReader::StartBody() {
  State& state = *state_;
  if (state.parser->is_done()) return Step::kComplete;
  // Refused on the declared length, before a byte of the body is read; chunked bodies are counted as they come.
  if (const auto length = state.parser->content_length(); length && *length > state.options.max_body_bytes) {
    return state.Refuse(ErrorCode::kBodyTooLarge);
  }
  state.parser->body_limit(state.options.max_body_bytes);
  return Step::kNeedMore;
}

RequestReader::Step RequestReader::ReadBody() {
  State& state = *state_;
  beast::flat_buffer& buffer = state.buffer;
  while (buffer.size() > 0) {
    error_code ec;
    const std::size_t used = state.parser->put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == bhttp::error::body_limit) return state.Refuse(ErrorCode::kBodyTooLarge);
    if (ec && ec != bhttp::error::need_more) return state.Refuse(ErrorCode::kMalformedHttp);
    if (state.parser->is_done()) {
      if (state.parser->chunked()) state.DropTrailers();
      return Step::kComplete;
    }
    if (ec || used == 0) break;
  }
  // An endless chunk line: more is needed, and no room is left to receive it.
  if (state.BufferFull()) return state.Refuse(ErrorCode::kMalformedHttp);
  return Step::kNeedMore;
}

const Error& RequestReader::Refusal() const { return state_->refusal; }

bool RequestReader::HeaderDone() const { return state_->parser && state_->parser->is_header_done(); }

bool RequestReader::Done() const { return state_->parser && state_->parser->is_done(); }

const Request& RequestReader::Parsed() const { return state_->view; }

bool RequestReader::IsHead() const { return state_->parser->get().method() == bhttp::verb::head; }

bool RequestReader::KeepAlive() const { return state_->parser->get().keep_alive(); }

bool RequestReader::ExpectsContinue() const {
  const Message& message = state_->parser->get();
  const auto expect = message.find(bhttp::field::expect);
  return message.version() >= 11 && expect != message.end() && beast::iequals(expect->value(), "100-continue");
}

void RequestReader::FormatHead(const Response& response, bool keep_alive, std::string& head) const {
  const int status = EffectiveStatus(response.status);
  head.clear();
  head.append("HTTP/1.1 ");
  AppendNumber(head, static_cast<std::uint64_t>(status));
  head.push_back(' ');
  if (bhttp::int_to_status(static_cast<unsigned>(status)) != bhttp::status::unknown) {
    head.append(View(bhttp::obsolete_reason(static_cast<bhttp::status>(status))));
  }
  head.append("\r\n");
  if (!response.content_type.empty()) {
    head.append("Content-Type: ");
    AppendHeaderText(head, response.content_type);
    head.append("\r\n");
  }
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || IsFramingHeader(name)) continue;
    AppendHeaderText(head, name);
    head.append(": ");
    AppendHeaderText(head, value);
    head.append("\r\n");
  }
  if (!IsBodyless(status)) {
    head.append("Content-Length: ");
    AppendNumber(head, response.body.size());
    head.append("\r\n");
  }
  if (!keep_alive) {
    head.append("Connection: close\r\n");
  } else if (state_->parser && state_->parser->get().version() < 11) {
    head.append("Connection: keep-alive\r\n");
  }
  head.append("\r\n");
}

}  // namespace phonechat::http
