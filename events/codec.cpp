#include "timecontrol/events/codec.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "timecontrol/core/coding.hpp"
#include "timecontrol/core/crc32c.hpp"

namespace tc::codec {

namespace {

using namespace coding;

// Writes an event's fields. See FORMAT.md for the encoding of each type.
class field_writer {
public:
  explicit field_writer(std::string& out) : out_(out) {}

  void put(uint64_t x) { put_varint(out_, x); }
  void put(uint32_t x) { put_varint(out_, x); }
  void put(int32_t x) { put_varint(out_, zigzag(x)); }
  void put(bool x) { out_.push_back(x ? 1 : 0); }
  void put(duration x) { put_varint(out_, zigzag(x.count())); }
  void put(time_point x) {
    put_fixed64_le(out_, static_cast<uint64_t>(to_nanos(x)));
  }
  void put(const std::string& x) { put_string(out_, x); }

  template <class E>
  requires std::is_enum_v<E>
  void put(E x) {
    static_assert(sizeof(E) == 1, "stored enums are one byte");
    out_.push_back(static_cast<char>(x));
  }

private:
  std::string& out_;
};

// Reads an event's fields; false on malformed input.
class field_reader {
public:
  explicit field_reader(std::string_view& in) : in_(in) {}

  /// What was wrong, for the error text.
  const char* what = "truncated field";

  bool get(uint64_t& x) { return get_varint(in_, x); }
  bool get(uint32_t& x) { return get_narrow(x); }
  bool get(int32_t& x) {
    uint64_t raw = 0;
    if (!get_varint(in_, raw))
      return false;
    auto wide = unzigzag(raw);
    if (wide < std::numeric_limits<int32_t>::min() ||
        wide > std::numeric_limits<int32_t>::max())
      return fail("integer out of range");
    x = static_cast<int32_t>(wide);
    return true;
  }
  bool get(bool& x) {
    if (in_.empty())
      return false;
    auto byte = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    if (byte > 1)
      return fail("boolean out of range");
    x = byte == 1;
    return true;
  }
  bool get(duration& x) {
    uint64_t raw = 0;
    if (!get_varint(in_, raw))
      return false;
    x = duration{unzigzag(raw)};
    return true;
  }
  bool get(time_point& x) {
    uint64_t raw = 0;
    if (!get_fixed64_le(in_, raw))
      return false;
    x = from_nanos(static_cast<int64_t>(raw));
    return true;
  }
  bool get(std::string& x) {
    std::string_view view;
    if (!get_string(in_, view))
      return false;
    x.assign(view);
    return true;
  }

  template <class E>
  requires std::is_enum_v<E>
  bool get(E& x) {
    if (in_.empty())
      return false;
    auto value = static_cast<E>(static_cast<uint8_t>(in_.front()));
    in_.remove_prefix(1);
    if (to_string(value).empty()) // every stored enum names its values
      return fail("enumeration value out of range");
    x = value;
    return true;
  }

private:
  template <class T>
  bool get_narrow(T& x) {
    uint64_t raw = 0;
    if (!get_varint(in_, raw))
      return false;
    if (raw > std::numeric_limits<T>::max())
      return fail("integer out of range");
    x = static_cast<T>(raw);
    return true;
  }

  bool fail(const char* reason) {
    what = reason;
    return false;
  }

  std::string_view& in_;
};

[[nodiscard]] caf::error corrupt(seq_t seq, const std::string& what) {
  auto where = seq != 0 ? "seq " + std::to_string(seq) : std::string{"record"};
  return make_error(errc::corrupt_record, where + ": " + what);
}

} // namespace

namespace {

/// The oldest record format version that holds the values of `x` (1 unless
/// the event says otherwise).
uint8_t needed_version(const event& x) noexcept {
  return std::visit(
      [](const auto& body) -> uint8_t {
        if constexpr (requires { body.record_version(); })
          return body.record_version();
        else
          return 1;
      },
      x);
}

} // namespace

uint8_t record_version_of(const envelope& x) noexcept {
  return std::max(base_format_version, needed_version(x.body));
}

void encode(const envelope& x, std::string& out) {
  auto start = out.size();
  auto version = record_version_of(x);
  out.push_back(static_cast<char>(version));
  out.append(4, '\0'); // checksum, filled in below
  auto body_start = out.size();
  put_varint(out, x.seq);
  put_fixed64_le(out, static_cast<uint64_t>(to_nanos(x.time)));
  put_string(out, x.source);
  put_varint(out, static_cast<uint16_t>(x.type()));
  field_writer writer{out};
  std::visit(
      [&](const auto& body) {
        // Fields newer than the record are not stored (they are at their
        // defaults: record_version() says which version a value needs).
        for_each_field(body, [&](const auto& fl, const auto& value) {
          if (fl.since <= version)
            writer.put(value);
        });
      },
      x.body);
  auto crc = crc32c(std::string_view{out}.substr(body_start));
  for (int i = 0; i < 4; ++i)
    out[start + 1 + i] = static_cast<char>(crc >> (8 * i));
}

std::string encode(const envelope& x) {
  std::string out;
  out.reserve(64);
  encode(x, out);
  return out;
}

caf::error decode(std::string_view record, envelope& out, seq_t key_seq) {
  auto in = record;
  if (in.empty())
    return corrupt(key_seq, "empty record");
  auto version = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  if (version > format_version)
    return make_error(errc::newer_format,
                      (key_seq != 0 ? "seq " + std::to_string(key_seq) + ": "
                                    : std::string{}) +
                          "record format version " + std::to_string(version) +
                          " is newer than this build reads (" +
                          std::to_string(format_version) + ")");
  if (version == 0)
    return corrupt(key_seq, "record format version 0");
  uint32_t stored_crc = 0;
  if (!get_fixed32_le(in, stored_crc))
    return corrupt(key_seq, "record shorter than its header");
  if (auto actual = crc32c(in); actual != stored_crc)
    return corrupt(key_seq, "checksum mismatch");
  uint64_t seq = 0;
  uint64_t nanos = 0;
  std::string_view source;
  uint64_t raw_type = 0;
  if (!get_varint(in, seq) || !get_fixed64_le(in, nanos) ||
      !get_string(in, source) || !get_varint(in, raw_type))
    return corrupt(key_seq, "truncated envelope");
  if (key_seq != 0 && seq != key_seq)
    return corrupt(key_seq, "record holds seq " + std::to_string(seq));
  if (raw_type > std::numeric_limits<uint16_t>::max() ||
      !emplace_event(out.body, static_cast<event_type>(raw_type)))
    return make_error(errc::unknown_event_type, "seq " + std::to_string(seq) +
                                                    ": unknown event type " +
                                                    std::to_string(raw_type));
  out.seq = seq;
  out.time = from_nanos(static_cast<int64_t>(nanos));
  out.source.assign(source);
  field_reader reader{in};
  auto ok = std::visit(
      [&](auto& body) {
        // Fields newer than the record keep their defaults.
        using body_type = std::decay_t<decltype(body)>;
        bool good = true;
        for_each_field(body, [&](const auto& fl, auto& value) {
          if (fl.since > version)
            value = body_type{}.*fl.member;
          else if (good)
            good = reader.get(value);
        });
        return good;
      },
      out.body);
  if (!ok)
    return corrupt(seq, std::string{name_of(out.type())} + ": " + reader.what);
  // A value that a newer record version brought (throttle_action::expired)
  // in an older record was not written by timecontrol.
  if (auto needs = needed_version(out.body); needs > version)
    return corrupt(seq, std::string{name_of(out.type())} +
                            ": a value of record format version " +
                            std::to_string(needs) + " in a record of version " +
                            std::to_string(version));
  if (!in.empty())
    return corrupt(seq, std::to_string(in.size()) + " trailing bytes");
  return caf::none;
}

std::optional<event_type> peek_type(std::string_view record) noexcept {
  uint32_t crc = 0;
  uint64_t seq = 0;
  uint64_t nanos = 0;
  std::string_view source;
  uint64_t raw_type = 0;
  if (record.empty())
    return std::nullopt;
  record.remove_prefix(1);
  if (!get_fixed32_le(record, crc) || !get_varint(record, seq) ||
      !get_fixed64_le(record, nanos) || !get_string(record, source) ||
      !get_varint(record, raw_type) ||
      raw_type > std::numeric_limits<uint16_t>::max())
    return std::nullopt;
  return static_cast<event_type>(raw_type);
}

caf::expected<envelope> decode(std::string_view record, seq_t key_seq) {
  envelope result;
  if (auto err = decode(record, result, key_seq))
    return err;
  return result;
}

} // namespace tc::codec
