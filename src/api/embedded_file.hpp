// Files built into the binary at build time (.incbin) and served with their build-time digest as the ETag.
#pragma once

#include <string_view>

#include "http/server.hpp"

// Defines and declares the read-only symbols `symbol_begin` and `symbol_end` around the bytes of `file` (a string
// literal: an absolute path that src/api/CMakeLists.txt passes in, with the file's digest, so that an edit rebuilds).
// At namespace scope, outside any namespace.
#define PHONECHAT_EMBED(symbol, file)                       \
  __asm__(".pushsection .rodata\n"                          \
          ".global " #symbol "_begin\n" #symbol "_begin:\n" \
          ".incbin \"" file "\"\n"                          \
          ".global " #symbol "_end\n" #symbol "_end:\n"     \
          ".popsection\n");                                 \
  extern "C" const char symbol##_begin[];                   \
  extern "C" const char symbol##_end[]

namespace phonechat {

// 200 with `body` as `content_type`, `ETag: "<digest>"`, Cache-Control: no-cache and nosniff; 304 without a body
// when If-None-Match is that ETag.
http::Response EmbeddedFile(const http::Request& request, std::string_view body, std::string_view content_type,
                            std::string_view digest);

}  // namespace phonechat
