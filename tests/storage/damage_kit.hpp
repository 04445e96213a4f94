// What the damage tests do to a log's files, and how they read it back.

#pragma once

#include <boost/test/unit_test.hpp>

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table_properties.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/storage/numbered_events.hpp"
#include "tests/support/process.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc::test {

namespace fs = std::filesystem;

inline uint64_t size_of(const std::string& file) {
  return fs::file_size(file);
}

inline std::string read_file(const std::string& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

inline void write_file(const std::string& file, const std::string& bytes) {
  std::ofstream out{file, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  BOOST_REQUIRE(out.good());
}

inline void flip_byte(const std::string& file, uint64_t offset,
                      uint8_t mask = 0x10) {
  auto bytes = read_file(file);
  BOOST_REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
  write_file(file, bytes);
}

inline void truncate_file(const std::string& file, uint64_t size) {
  fs::resize_file(file, size);
}

inline void copy_log(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

/// The names of the files in `dir` for which `pick(name)` holds, sorted.
template <class Pick>
std::vector<std::string> files_in(const std::string& dir, Pick pick) {
  std::vector<std::string> result;
  for (auto& entry : fs::directory_iterator{dir}) {
    auto name = entry.path().filename().string();
    if (entry.is_regular_file() && pick(name))
      result.push_back(name);
  }
  std::sort(result.begin(), result.end());
  return result;
}

inline std::vector<std::string> wal_files(const std::string& dir) {
  return files_in(dir,
                  [](const std::string& n) { return n.ends_with(".log"); });
}

inline std::vector<std::string> table_files(const std::string& dir) {
  return files_in(dir,
                  [](const std::string& n) { return n.ends_with(".sst"); });
}

/// The column family a table file belongs to.
inline std::string family_of(const std::string& file) {
  rocksdb::Options options;
  rocksdb::SstFileReader reader{options};
  BOOST_REQUIRE(reader.Open(file).ok());
  return reader.GetTableProperties()->column_family_name;
}

/// Runs log_maker (a real writer process) on `path`; returns the last
/// acknowledged sequence number.
inline seq_t make_log(const std::string& path, int rounds, int events,
                      const std::string& mode = "buffered") {
  auto [status, out] =
      run_program({TC_LOG_MAKER, path, mode, std::to_string(rounds),
                   std::to_string(events)});
  BOOST_REQUIRE_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                        "log_maker: " << describe_status(status));
  auto at = out.rfind('\n', out.size() - 2);
  return std::stoull(out.substr(at == std::string::npos ? 0 : at + 1));
}

/// What a full replay gave.
struct readback {
  std::vector<seq_t> seqs;
  caf::error err;
  /// Every event read is exactly the one written under its number.
  bool exact = true;
};

inline readback read_back(const event_store& store) {
  readback result;
  result.err = store.replay({}, [&](const envelope& x) {
    result.seqs.push_back(x.seq);
    if (!(x == numbered_event(x.seq)))
      result.exact = false;
    return true;
  });
  return result;
}

inline std::vector<seq_t> seq_range_of(seq_t first, seq_t last) {
  std::vector<seq_t> result;
  for (auto seq = first; seq <= last; ++seq)
    result.push_back(seq);
  return result;
}

inline std::unique_ptr<event_store> open_or_fail(const std::string& path,
                                                 store_options options = {}) {
  auto store = event_store::open(path, options);
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : render(store.error())));
  return std::move(*store);
}

[[nodiscard]] inline caf::error open_error(const std::string& path,
                                           store_options options = {}) {
  auto store = event_store::open(path, options);
  BOOST_REQUIRE_MESSAGE(!store, "the log opened");
  return store.error();
}

inline bool mentions(const caf::error& err, const std::string& text) {
  return render(err).find(text) != std::string::npos;
}

} // namespace tc::test
