#include "timecontrol/storage/detail/wal_scan.hpp"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <unistd.h>

#include "timecontrol/core/coding.hpp"
#include "timecontrol/core/crc32c.hpp"
#include "timecontrol/storage/detail/format.hpp"

namespace tc::detail {

namespace {

constexpr size_t block_size = 32768;
constexpr size_t header_size = 7;
constexpr size_t recyclable_header_size = 11;

enum record_type : uint8_t {
  zero_type = 0,
  full_type = 1,
  first_type = 2,
  middle_type = 3,
  last_type = 4,
  recyclable_full_type = 5,
  recyclable_last_type = 8,
  set_compression_type = 9,
};

uint32_t unmask(uint32_t masked) {
  auto rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

uint32_t get32(const char* p) {
  std::string_view in{p, 4};
  uint32_t x = 0;
  coding::get_fixed32_le(in, x);
  return x;
}

// The header of the physical record at `p`, `avail` bytes available.
struct header {
  uint32_t crc = 0;
  size_t length = 0;
  uint8_t type = 0;
  size_t size = header_size; // 11 for recycled records

  static header at(const char* p) {
    header h;
    h.crc = unmask(get32(p));
    h.length = static_cast<unsigned char>(p[4]) |
               static_cast<size_t>(static_cast<unsigned char>(p[5])) << 8;
    h.type = static_cast<uint8_t>(p[6]);
    if (h.type >= recyclable_full_type && h.type <= recyclable_last_type)
      h.size = recyclable_header_size;
    return h;
  }

  // The checksum over the type byte (and the log number of a recycled
  // record) and `payload` bytes of payload.
  bool checks(const char* p, size_t payload) const {
    return crc32c(std::string_view{p + 6, size - 6 + payload}) == crc;
  }
};

bool known_type(uint8_t type) {
  return type >= full_type && type <= recyclable_last_type;
}

// Passes the event records of a WriteBatch (puts of event keys in the
// default column family) to `found`.
class event_records : public rocksdb::WriteBatch::Handler {
public:
  explicit event_records(const event_record_fn& found) : found_(found) {}

  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    if (cf == 0)
      if (auto seq = format::parse_event_key({key.data(), key.size()}))
        found_(*seq, {value.data(), value.size()});
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice&,
                                const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&,
                          const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  void LogData(const rocksdb::Slice&) override {}

private:
  const event_record_fn& found_;
};

// The scan of one file, fed block by block.
class scanner {
public:
  scanner(wal_file_scan& result, const wal_batch_fn& on_batch)
      : r_(result), on_batch_(on_batch) {}

  // Parses the block that starts at `base`; `last` if the file ends inside
  // it. Returns false when the file's data ends here (a torn tail).
  bool block(const char* d, size_t n, uint64_t base, bool last) {
    size_t off = 0;
    while (off < n) {
      if (n - off < header_size) {
        // A block's last bytes are padding; in a block the file ends in,
        // they are a header a crash cut short.
        if (last && !all_zero(d + off, n - off))
          return torn(base + off);
        return true;
      }
      auto h = header::at(d + off);
      if (h.type == zero_type && h.length == 0) {
        // RocksDB skips the rest of the block; harmless at the end of the
        // data (zeros after a crash), damage if intact records follow.
        if (in_fragment_)
          damage(base + off, "zeroed bytes inside a write");
        else
          damage(base + off, "zeroed bytes", true);
        off = resync(d, off + 1, n);
        continue;
      }
      if (n - off < h.size || off + h.size + h.length > n) {
        // The record runs past what the block holds.
        if (last && tolerable_tail(d, off, n, h))
          return torn(base + off);
        damage(base + off, "bad record length");
        off = resync(d, off + 1, n);
        continue;
      }
      if (!h.checks(d + off, h.length)) {
        damage(base + off, "checksum mismatch");
        off = resync(d, off + 1, n);
        continue;
      }
      auto payload = std::string_view{d + off + h.size, h.length};
      auto at = base + off;
      off += h.size + h.length;
      switch (h.type) {
        case full_type:
        case recyclable_full_type:
          if (in_fragment_)
            damage(fragment_offset_, "a write's last fragment is missing");
          deliver(at, payload);
          break;
        case first_type:
        case first_type + 4:
          if (in_fragment_)
            damage(fragment_offset_, "a write's last fragment is missing");
          in_fragment_ = true;
          fragment_offset_ = at;
          assembling_.assign(payload);
          break;
        case middle_type:
        case middle_type + 4:
          if (!in_fragment_)
            damage(at, "a write's first fragment is missing");
          else
            assembling_.append(payload);
          break;
        case last_type:
        case recyclable_last_type:
          if (!in_fragment_) {
            damage(at, "a write's first fragment is missing");
          } else {
            assembling_.append(payload);
            in_fragment_ = false;
            deliver(fragment_offset_, assembling_);
          }
          break;
        case set_compression_type:
          if (payload.empty() || payload.front() != 0)
            r_.read_error = "compressed write-ahead log records are not "
                            "supported";
          break;
        default:
          damage(at, "unknown record type " + std::to_string(h.type));
      }
      if (!r_.read_error.empty())
        return false;
    }
    return true;
  }

  void finish(uint64_t size) {
    r_.size = size;
    if (open_) {
      if (current_.soft) {
        // Zeros to the end: the tail of a crash, not damage.
        if (!r_.torn_tail) {
          r_.torn_tail = true;
          r_.torn_at = current_.offset;
        }
      } else {
        current_.end = size;
        r_.damage.push_back(current_);
      }
      open_ = false;
    } else if (in_fragment_ && !r_.torn_tail) {
      r_.torn_tail = true;
      r_.torn_at = fragment_offset_;
    }
  }

private:
  struct open_damage : wal_damage {
    bool soft = false; // only zeros so far
  };

  static bool all_zero(const char* p, size_t n) {
    return std::all_of(p, p + n, [](char c) { return c == 0; });
  }

  // The file's data ends at `at` in a record a crash cut short. Returns
  // false: nothing after it is read.
  bool torn(uint64_t at) {
    if (open_ && !current_.soft)
      return false; // damage reaches to the end; finish() reports it
    if (in_fragment_)
      at = fragment_offset_;
    if (open_)
      at = current_.offset; // zeros, then the cut: all of it is the tail
    open_ = false;
    in_fragment_ = false;
    r_.torn_tail = true;
    r_.torn_at = at;
    return false;
  }

  // A record that runs past the end of the file is a write a crash cut
  // short unless it cannot be: it would cross its block, its checksum
  // matches the bytes up to the end (it is whole; its length is damaged),
  // or an intact record starts after its header.
  bool tolerable_tail(const char* d, size_t off, size_t n, const header& h) {
    if (off + h.size + h.length > block_size)
      return false;
    if (n - off >= h.size && h.checks(d + off, n - off - h.size))
      return false;
    return find_record(d, off + 1, n) == n;
  }

  // The offset of the first intact physical record in [from, n), or n.
  static size_t find_record(const char* d, size_t from, size_t n) {
    for (size_t p = from; p + header_size <= n; ++p) {
      auto h = header::at(d + p);
      if (!known_type(h.type) || p + h.size + h.length > n)
        continue;
      if (h.checks(d + p, h.length))
        return p;
    }
    return n;
  }

  // Where to go on after damage at `from - 1`: the next intact record in
  // this block, or the block's end (the next block starts a record).
  size_t resync(const char* d, size_t from, size_t n) {
    return find_record(d, from, n);
  }

  void damage(uint64_t at, std::string what, bool soft = false) {
    if (in_fragment_) {
      at = std::min(at, fragment_offset_);
      in_fragment_ = false;
      assembling_.clear();
    }
    if (open_) {
      if (current_.soft && !soft) {
        current_.soft = false;
        current_.what = std::move(what);
      }
      return;
    }
    open_ = true;
    current_ = {};
    current_.offset = at;
    current_.what = std::move(what);
    current_.before = last_event_;
    current_.soft = soft;
  }

  void deliver(uint64_t at, std::string_view rep) {
    seq_t first = 0;
    seq_t last = 0;
    if (!events_in_batch(rep, first, last)) {
      damage(at, "a write that does not parse");
      return;
    }
    if (open_) {
      current_.end = at;
      r_.damage.push_back(current_);
      open_ = false;
      if (first == 0)
        waiting_for_after_ = r_.damage.size();
      else
        r_.damage.back().after = first;
    } else if (first != 0 && waiting_for_after_ != 0) {
      r_.damage[waiting_for_after_ - 1].after = first;
    }
    if (first != 0) {
      waiting_for_after_ = 0;
      r_.first_event = r_.first_event == 0 ? first : r_.first_event;
      r_.last_event = std::max(r_.last_event, last);
      last_event_ = std::max(last_event_, last);
    }
    ++r_.batches;
    if (on_batch_)
      on_batch_(wal_batch{at, first, last}, rep);
  }

  wal_file_scan& r_;
  const wal_batch_fn& on_batch_;
  std::string assembling_;
  bool in_fragment_ = false;
  uint64_t fragment_offset_ = 0;
  bool open_ = false;
  open_damage current_;
  size_t waiting_for_after_ = 0; // 1 + index of a damage without `after`
  seq_t last_event_ = 0;
};

std::optional<uint64_t> wal_number(const std::string& name) {
  if (name.size() < 5 || !name.ends_with(".log"))
    return std::nullopt;
  uint64_t n = 0;
  for (size_t i = 0; i + 4 < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9')
      return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return n;
}

} // namespace

namespace {

bool get_varint32(std::string_view& in, uint32_t& x) {
  uint64_t wide = 0;
  if (!coding::get_varint(in, wide) || wide > UINT32_MAX)
    return false;
  x = static_cast<uint32_t>(wide);
  return true;
}

bool get_slice(std::string_view& in, std::string_view& x) {
  uint32_t n = 0;
  if (!get_varint32(in, n) || n > in.size())
    return false;
  x = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

// The WriteBatch layout for the puts the store writes (RocksDB's
// write_batch.cc documents it): sequence:fixed64le count:fixed32le, then per
// entry a tag, 1 for a put in the default family (key, value) and 5 for a
// put in another (family:varint32, key, value), keys and values with a
// varint32 length. Nullopt for anything else (RocksDB's own parser then).
std::optional<bool> puts_only(std::string_view rep, seq_t& first, seq_t& last) {
  rep.remove_prefix(8);
  uint32_t count = 0;
  coding::get_fixed32_le(rep, count);
  uint32_t seen = 0;
  while (!rep.empty()) {
    auto tag = static_cast<uint8_t>(rep.front());
    rep.remove_prefix(1);
    uint32_t family = 0;
    if (tag == 5) {
      if (!get_varint32(rep, family))
        return false;
    } else if (tag != 1) {
      return std::nullopt;
    }
    std::string_view key;
    std::string_view value;
    if (!get_slice(rep, key) || !get_slice(rep, value))
      return false;
    if (family == 0)
      if (auto seq = format::parse_event_key(key)) {
        first = first == 0 ? *seq : std::min(first, *seq);
        last = std::max(last, *seq);
      }
    ++seen;
  }
  return seen == count;
}

} // namespace

bool events_in_batch(std::string_view rep, seq_t& first, seq_t& last) {
  if (rep.size() < 12)
    return false;
  first = 0;
  last = 0;
  if (auto parsed = puts_only(rep, first, last))
    return *parsed;
  first = 0;
  last = 0;
  return for_each_event_record(rep, [&](seq_t seq, std::string_view) {
    first = first == 0 ? seq : std::min(first, seq);
    last = std::max(last, seq);
  });
}

bool for_each_event_record(std::string_view rep, const event_record_fn& found) {
  rocksdb::WriteBatch batch{std::string{rep}};
  event_records records{found};
  return batch.Iterate(&records).ok();
}

wal_file_scan scan_wal_file(const std::string& dir, const std::string& name,
                            const wal_batch_fn& on_batch) {
  wal_file_scan result;
  result.name = name;
  result.number = wal_number(name).value_or(0);
  auto path = dir + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      result.missing = true;
    else
      result.read_error = std::strerror(errno);
    return result;
  }
  scanner scan{result, on_batch};
  std::string block(block_size, '\0');
  uint64_t pos = 0;
  for (;;) {
    size_t n = 0;
    while (n < block_size) {
      auto got = ::pread(fd, block.data() + n, block_size - n,
                         static_cast<off_t>(pos + n));
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0) {
        result.read_error = std::strerror(errno);
        ::close(fd);
        return result;
      }
      if (got == 0)
        break;
      n += static_cast<size_t>(got);
    }
    if (n == 0)
      break;
    bool last = n < block_size;
    if (!scan.block(block.data(), n, pos, last)) {
      pos += n;
      break;
    }
    pos += n;
    if (last)
      break;
  }
  ::close(fd);
  if (result.read_error.empty())
    scan.finish(pos);
  result.size = pos;
  return result;
}

wal_file_scan scan_wal_bytes(std::string_view bytes,
                             const wal_batch_fn& on_batch) {
  wal_file_scan result;
  scanner scan{result, on_batch};
  uint64_t pos = 0;
  while (pos < bytes.size()) {
    auto n = std::min<size_t>(block_size, bytes.size() - pos);
    bool last = n < block_size || pos + n == bytes.size();
    if (!scan.block(bytes.data() + pos, n, pos, n < block_size)) {
      pos += n;
      break;
    }
    pos += n;
    if (last)
      break;
  }
  if (result.read_error.empty())
    scan.finish(bytes.size());
  result.size = bytes.size();
  return result;
}

std::vector<std::string> wal_files_in(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> found;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator{dir, ec}) {
    auto name = entry.path().filename().string();
    if (auto n = wal_number(name))
      found.emplace_back(*n, name);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> result;
  for (auto& [n, name] : found)
    result.push_back(std::move(name));
  return result;
}

std::vector<wal_file_scan> scan_wal_files(const std::string& dir,
                                          const wal_batch_fn& on_batch) {
  std::vector<wal_file_scan> result;
  for (auto& name : wal_files_in(dir))
    result.push_back(scan_wal_file(dir, name, on_batch));
  return result;
}

std::string describe(const std::string& file, const wal_damage& damage,
                     seq_t before, seq_t after) {
  auto text = file + " at offset " + std::to_string(damage.offset) + " (" +
              damage.what + ")";
  auto seq = [](seq_t x) { return std::to_string(x); };
  if (before != 0 && after != 0) {
    if (after == before + 2)
      text += "; seq " + seq(before + 1) + " is in it";
    else if (after > before + 2)
      text += "; the events after seq " + seq(before) + " and before seq " +
              seq(after) + " are in it (seq " + seq(before + 1) + ".." +
              seq(after - 1) + ")";
    else
      text += "; it holds no event (seq " + seq(before) + " and seq " +
              seq(after) + " on either side are intact)";
  } else if (before != 0) {
    text += "; the events after seq " + seq(before) + " are in it";
  } else if (after != 0) {
    text += "; it holds events before seq " + seq(after) +
            " that no table file holds";
  } else {
    text += "; which events it held is not known";
  }
  return text;
}

} // namespace tc::detail
