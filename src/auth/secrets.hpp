// Secrets (libsodium): random tokens, base64, SHA-256, constant-time comparison and Argon2id password hashes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace phonechat {

// A new opaque access token: 32 random bytes (256 bits) from libsodium, base64url without padding, never starting
// with `-` (so that it can be passed to a command as an argument, not taken for an option).
std::string GenerateToken();

// Decodes standard base64 (RFC 4648 §4, padding optional); nullopt for any other character or a bad length.
std::optional<std::string> DecodeBase64(std::string_view text);

// SHA-256 of `secret` as 32 raw bytes: the only form in which tokens are stored.
std::string Sha256(std::string_view secret);

// Compares two byte strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// An Argon2id hash in libsodium's encoded form (salt and parameters included), for passwords and secrets.
std::string HashPassword(std::string_view password);

// True when `password` matches an encoded Argon2id hash.
bool VerifyPassword(std::string_view encoded_hash, std::string_view password);

// True when `encoded_hash` is a well-formed Argon2id hash in libsodium's encoded form (as HashPassword writes).
bool IsPasswordHash(std::string_view encoded_hash);

}  // namespace phonechat
