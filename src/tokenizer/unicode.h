// UTF-8 helpers shared by the tokenizer stages: code point iteration, Unicode character classes
// (as Rust's char methods define them, since HF tokenizers is written in Rust), the GPT-2
// byte<->char table, and from_utf8_lossy with Rust's replacement rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace swift::tok {

// Decodes one code point at s[i]; advances i. Invalid bytes decode as U+FFFD (1 byte consumed).
char32_t next_cp(std::string_view s, std::size_t& i);
void append_utf8(std::string& out, char32_t cp);
std::vector<char32_t> to_cps(std::string_view s);
std::size_t cp_len_at(std::string_view s, std::size_t i);  // bytes of the code point at i

// Bytes of the well-formed UTF-8 sequence at s[i] (RFC 3629), or 0 when there is none; then
// `bad` (if given) gets the length of the maximal invalid prefix, at least 1 (the Unicode
// "maximal subpart" rule Rust's lossy decoding uses).
std::size_t utf8_seq_len(std::string_view s, std::size_t i, std::size_t* bad = nullptr);
bool is_valid_utf8(std::string_view s);
// Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);

bool is_whitespace(char32_t c);    // Rust char::is_whitespace (Unicode White_Space)
bool is_alphanumeric(char32_t c);  // Rust char::is_alphanumeric (L* or N*)
bool is_punctuation(char32_t c);   // Unicode P* (HF's is_punctuation)
bool is_numeric(char32_t c);       // Rust char::is_numeric (N*)

// GPT-2 byte-level alphabet: byte -> printable code point, and back (-1 when not in the table).
char32_t byte_to_char(std::uint8_t b);
int char_to_byte(char32_t c);

}  // namespace swift::tok
