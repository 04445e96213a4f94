#include "timecontrol/storage/detail/format.hpp"

#include "timecontrol/core/coding.hpp"
#include "timecontrol/core/crc32c.hpp"

namespace tc::format {

using namespace coding;

std::string meta_value(uint8_t version) {
  std::string result{meta_magic};
  result.push_back(static_cast<char>(version));
  return result;
}

std::optional<uint8_t> parse_meta_value(std::string_view value) {
  if (value.size() != meta_magic.size() + 1 || !value.starts_with(meta_magic))
    return std::nullopt;
  return static_cast<uint8_t>(value.back());
}

std::string event_key(seq_t seq) {
  std::string result;
  append_event_key(result, seq);
  return result;
}

void append_event_key(std::string& out, seq_t seq) {
  out.push_back(event_tag);
  put_fixed64_be(out, seq);
}

std::optional<seq_t> parse_event_key(std::string_view key) {
  uint64_t seq = 0;
  if (key.size() != 9 || key.front() != event_tag)
    return std::nullopt;
  key.remove_prefix(1);
  get_fixed64_be(key, seq);
  return seq;
}

std::string source_prefix(std::string_view source) {
  std::string result;
  append_source_prefix(result, source);
  return result;
}

void append_source_prefix(std::string& out, std::string_view source) {
  out.push_back(source_tag);
  put_string(out, source);
}

std::string type_prefix(event_type type) {
  std::string result;
  append_type_prefix(result, type);
  return result;
}

void append_type_prefix(std::string& out, event_type type) {
  out.push_back(type_tag);
  put_fixed16_be(out, static_cast<uint16_t>(type));
}

std::string posting_key(std::string_view prefix, seq_t first) {
  std::string result{prefix};
  put_fixed64_be(result, first);
  return result;
}

void encode_postings(const std::vector<seq_t>& seqs, std::string& out) {
  put_varint(out, seqs.size());
  for (size_t i = 1; i < seqs.size(); ++i)
    put_varint(out, seqs[i] - seqs[i - 1]);
}

bool decode_postings(std::string_view key, std::string_view value,
                     std::vector<seq_t>& out) {
  uint64_t first = 0;
  uint64_t count = 0;
  if (key.size() < 8)
    return false;
  key.remove_prefix(key.size() - 8);
  if (!get_fixed64_be(key, first) || !get_varint(value, count) || count == 0 ||
      count > value.size() + 1)
    return false;
  auto seq = first;
  out.push_back(seq);
  for (uint64_t i = 1; i < count; ++i) {
    uint64_t delta = 0;
    if (!get_varint(value, delta) || delta == 0 || seq + delta < seq)
      return false;
    seq += delta;
    out.push_back(seq);
  }
  return value.empty();
}

std::string snapshot_key(std::string_view name) {
  std::string result;
  result.push_back(snapshot_tag);
  result.append(name);
  return result;
}

std::string encode_snapshot(const snapshot& x) {
  std::string result;
  result.reserve(16 + x.state.size());
  result.push_back(static_cast<char>(snapshot_version));
  result.append(4, '\0');
  put_varint(result, x.seq);
  result.append(x.state);
  auto crc = crc32c(std::string_view{result}.substr(5));
  for (int i = 0; i < 4; ++i)
    result[1 + i] = static_cast<char>(crc >> (8 * i));
  return result;
}

caf::expected<snapshot> decode_snapshot(std::string_view name,
                                        std::string_view record) {
  auto where = "snapshot '" + std::string{name} + "': ";
  if (record.empty())
    return make_error(errc::corrupt_record, where + "empty record");
  auto version = static_cast<uint8_t>(record.front());
  record.remove_prefix(1);
  if (version > snapshot_version)
    return make_error(errc::newer_format,
                      where + "format version " + std::to_string(version) +
                          " is newer than this build reads (" +
                          std::to_string(snapshot_version) + ")");
  uint32_t stored_crc = 0;
  if (version == 0 || !get_fixed32_le(record, stored_crc))
    return make_error(errc::corrupt_record, where + "bad header");
  if (crc32c(record) != stored_crc)
    return make_error(errc::corrupt_record, where + "checksum mismatch");
  snapshot result;
  if (!get_varint(record, result.seq))
    return make_error(errc::corrupt_record, where + "truncated");
  result.state.assign(record);
  return result;
}

std::string gap_key(seq_t first) {
  std::string result;
  result.push_back(gap_tag);
  put_fixed64_be(result, first);
  return result;
}

std::string encode_gap(const gap& x) {
  std::string result;
  result.push_back(static_cast<char>(gap_version));
  result.append(4, '\0');
  put_varint(result, x.last);
  result.push_back(x.stored ? 0 : 1);
  put_varint(result, x.repaired_at);
  auto crc = crc32c(std::string_view{result}.substr(5));
  for (int i = 0; i < 4; ++i)
    result[1 + i] = static_cast<char>(crc >> (8 * i));
  return result;
}

caf::expected<gap> decode_gap(std::string_view key, std::string_view value) {
  auto bad = [&](const char* what) {
    return make_error(errc::corrupt_record, std::string{"gap record: "} + what);
  };
  gap result;
  if (key.size() != 9 || key.front() != gap_tag)
    return bad("malformed key");
  key.remove_prefix(1);
  get_fixed64_be(key, result.first);
  if (value.empty())
    return bad("empty record");
  auto version = static_cast<uint8_t>(value.front());
  value.remove_prefix(1);
  if (version > gap_version)
    return make_error(errc::newer_format,
                      "gap record: format version " + std::to_string(version) +
                          " is newer than this build reads (" +
                          std::to_string(gap_version) + ")");
  uint32_t stored_crc = 0;
  if (version == 0 || !get_fixed32_le(value, stored_crc))
    return bad("bad header");
  if (crc32c(value) != stored_crc)
    return bad("checksum mismatch");
  uint64_t kind = 0;
  if (!get_varint(value, result.last) || value.empty())
    return bad("truncated");
  kind = static_cast<uint8_t>(value.front());
  value.remove_prefix(1);
  if (kind > 1)
    return bad("unknown kind");
  result.stored = kind == 0;
  if (!get_varint(value, result.repaired_at) || !value.empty() ||
      result.last < result.first || result.first == 0)
    return bad("malformed");
  return result;
}

} // namespace tc::format
