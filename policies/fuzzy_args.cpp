#include "timecontrol/policies/fuzzy_args.hpp"

#include <cctype>
#include <charconv>

namespace tc {

namespace {

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

size_t skip_blanks(std::string_view in, size_t pos) {
  while (pos < in.size() && (in[pos] == ' ' || in[pos] == '\t'))
    ++pos;
  return pos;
}

// A signed decimal at `pos`; advances pos.
bool read_int(std::string_view in, size_t& pos, int64_t& out) {
  auto [end, ec] = std::from_chars(in.data() + pos, in.data() + in.size(), out);
  if (ec != std::errc{} || end == in.data() + pos)
    return false;
  pos = static_cast<size_t>(end - in.data());
  return true;
}

} // namespace

parse_result<args_generator> args_generator::parse(std::string_view text) {
  args_generator result;
  size_t pos = 0;
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'))
    ++pos;
  if (pos == text.size())
    return result;
  auto word_end = pos;
  while (word_end < text.size() &&
         std::isalpha(static_cast<unsigned char>(text[word_end])))
    ++word_end;
  auto word = text.substr(pos, word_end - pos);
  auto at_end = [&](size_t p) {
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t'))
      ++p;
    return p == text.size();
  };
  if (word == "int") {
    result.kind_ = kind::range;
    auto p = skip_blanks(text, word_end);
    auto lo_pos = p;
    if (!read_int(text, p, result.lo_))
      return parse_error{"expected the lowest number after 'int'", lo_pos};
    p = skip_blanks(text, p);
    auto hi_pos = p;
    if (!read_int(text, p, result.hi_))
      return parse_error{"expected the highest number after the lowest",
                         hi_pos};
    if (result.hi_ < result.lo_)
      return parse_error{"the highest number is below the lowest", hi_pos};
    if (!at_end(p))
      return parse_error{"unexpected text after the range", p};
    return result;
  }
  if (word == "pick") {
    result.kind_ = kind::pick;
    auto rest = text.substr(word_end);
    size_t offset = word_end;
    for (;;) {
      auto bar = rest.find('|');
      auto alt = trim(rest.substr(0, bar));
      if (alt.empty())
        return parse_error{"an alternative of 'pick' is empty", offset};
      result.alternatives_.emplace_back(alt);
      if (bar == std::string_view::npos)
        break;
      rest.remove_prefix(bar + 1);
      offset += bar + 1;
    }
    return result;
  }
  if (word == "hex") {
    result.kind_ = kind::hex;
    auto p = skip_blanks(text, word_end);
    auto n_pos = p;
    if (!read_int(text, p, result.lo_) || result.lo_ < 1 || result.lo_ > 4096)
      return parse_error{"expected a byte count from 1 to 4096 after 'hex'",
                         n_pos};
    if (!at_end(p))
      return parse_error{"unexpected text after the byte count", p};
    return result;
  }
  return parse_error{"expected 'int <lo> <hi>', 'pick <a>|<b>|...', "
                     "'hex <n>' or nothing",
                     pos};
}

std::string args_generator::draw(uint64_t seed, uint64_t k) const {
  auto state = mix(seed ^ mix(k));
  switch (kind_) {
    case kind::number:
      return std::to_string(state);
    case kind::range: {
      auto span = static_cast<uint64_t>(hi_) - static_cast<uint64_t>(lo_);
      auto offset = span == UINT64_MAX ? state : state % (span + 1);
      return std::to_string(
          static_cast<int64_t>(static_cast<uint64_t>(lo_) + offset));
    }
    case kind::pick:
      return alternatives_[state % alternatives_.size()];
    case kind::hex: {
      static constexpr char digits[] = "0123456789abcdef";
      std::string out;
      out.reserve(static_cast<size_t>(lo_) * 2);
      for (int64_t i = 0; i < lo_; ++i) {
        if (i % 8 == 0 && i > 0)
          state = mix(state);
        auto byte = static_cast<uint8_t>(state >> (8 * (i % 8)));
        out.push_back(digits[byte >> 4]);
        out.push_back(digits[byte & 0xf]);
      }
      return out;
    }
  }
  return {};
}

} // namespace tc
