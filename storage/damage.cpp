#include "timecontrol/storage/detail/damage.hpp"

#include <rocksdb/iterator.h>
#include <rocksdb/metadata.h>
#include <rocksdb/sst_file_reader.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <regex>
#include <unistd.h>

#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/log_files.hpp"

namespace tc::detail {

namespace {

namespace fs = std::filesystem;

std::string_view view(const rocksdb::Slice& x) {
  return {x.data(), x.size()};
}

std::string seq_text(seq_t first, seq_t last) {
  if (first == last)
    return "seq " + std::to_string(first);
  return "seq " + std::to_string(first) + ".." + std::to_string(last);
}

// A path that reads `file` of `path`: the file itself, or, if a writer
// deleted it since this process opened it, this process's open descriptor
// of it (RocksDB keeps every table file of an open log open).
std::string readable_path(const std::string& path, const std::string& file) {
  auto full = path + "/" + file;
  std::error_code ec;
  if (fs::exists(full, ec))
    return full;
  auto deleted = full + " (deleted)";
  for (auto& entry : fs::directory_iterator{"/proc/self/fd", ec}) {
    std::error_code ec2;
    auto target = fs::read_symlink(entry.path(), ec2);
    if (!ec2 && (target == full || target == deleted))
      return entry.path().string();
  }
  return full;
}

// The event range a table file holds, read from its own blocks (which may
// be damaged: then from what reads).
bool events_in_table(const std::string& file_path, seq_t& first, seq_t& last) {
  rocksdb::Options options;
  rocksdb::SstFileReader reader{options};
  if (!reader.Open(file_path).ok())
    return false;
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it{reader.NewIterator(ro)};
  it->Seek(std::string(1, format::event_tag));
  if (!it->Valid())
    return false;
  auto lo = format::parse_event_key(view(it->key()));
  it->SeekForPrev(std::string(1, format::event_tag + 1));
  if (!it->Valid())
    return false;
  auto hi = format::parse_event_key(view(it->key()));
  if (!lo || !hi)
    return false;
  first = *lo;
  last = *hi;
  return true;
}

} // namespace

status_place place_of(const rocksdb::Status& st) {
  status_place result;
  auto text = st.ToString();
  static const std::regex file_re{
      R"(([0-9]+\.(sst|log|ldb))|(MANIFEST-[0-9]+)|(OPTIONS-[0-9]+)|\bCURRENT\b)"};
  std::smatch m;
  if (std::regex_search(text, m, file_re))
    result.file = m.str(0);
  if (result.file.ends_with(".ldb"))
    // RocksDB looks for a missing NNNNNN.sst under its old name too.
    result.file.replace(result.file.size() - 4, 4, ".sst");
  static const std::regex offset_re{R"(offset ([0-9]+))"};
  if (std::regex_search(text, m, offset_re))
    result.offset = std::stoull(m.str(1));
  return result;
}

bool vanished(const rocksdb::Status& st) {
  return st.IsPathNotFound() ||
         (st.IsIOError() &&
          st.ToString().find("No such file or directory") != std::string::npos);
}

std::string table_coverage(const std::string& path, const std::string& file,
                           rocksdb::DB* db, seq_t* first_out, seq_t* last_out) {
  std::optional<std::string> family;
  std::string smallest;
  std::string largest;
  if (db != nullptr) {
    std::vector<rocksdb::LiveFileMetaData> files;
    db->GetLiveFilesMetaData(&files);
    for (auto& f : files) {
      if (fs::path{f.name}.filename() == file) {
        family = f.column_family_name;
        smallest = f.smallestkey;
        largest = f.largestkey;
      }
    }
  }
  if (family && *family == format::index_family)
    return "it holds index postings (repair rebuilds the index)";
  seq_t first = 0;
  seq_t last = 0;
  if (!events_in_table(readable_path(path, file), first, last) && family) {
    // From the metadata's key range: events from the first event key in it
    // to the last.
    if (auto lo = format::parse_event_key(smallest))
      first = *lo;
    else if (smallest < std::string(1, format::event_tag))
      first = 1;
    if (auto hi = format::parse_event_key(largest))
      last = *hi;
  }
  if (first_out)
    *first_out = first;
  if (last_out)
    *last_out = last;
  if (first != 0 && last != 0)
    return "it holds " + seq_text(first, last);
  if (first != 0)
    return "it holds the events from seq " + std::to_string(first) + " on";
  return "which events it holds is not known";
}

std::string metadata_problem(const std::string& path) {
  auto current = read_small_file(path + "/CURRENT");
  if (!current.exists)
    return "CURRENT (which names the log's MANIFEST) is missing";
  if (!current.error.empty())
    return "CURRENT cannot be read (" + current.error + ")";
  static const std::regex manifest_re{R"(MANIFEST-[0-9]{6,}\n)"};
  if (!std::regex_match(current.content, manifest_re))
    return "CURRENT is damaged (it does not name a MANIFEST)";
  auto manifest = current.content.substr(0, current.content.size() - 1);
  std::error_code ec;
  auto size = fs::file_size(path + "/" + manifest, ec);
  if (ec)
    return "CURRENT names " + manifest + ", which is missing";
  if (size == 0)
    return manifest + " (named by CURRENT) is empty";
  return "";
}

caf::error storage_error(const std::string& path, const rocksdb::Status& st,
                         rocksdb::DB* db, bool missing_is_damage) {
  auto text = st.ToString();
  if (st.IsIOError() && text.find("lock") != std::string::npos &&
      !st.IsNoSpace())
    return make_error(errc::locked, path +
                                        ": the log is open in another process "
                                        "or store (" +
                                        text + ")");
  bool damage = st.IsCorruption() || (missing_is_damage && vanished(st));
  if (!damage) {
    if (text.find("Permission denied") != std::string::npos ||
        text.find("Read-only file system") != std::string::npos)
      return make_error(errc::not_writable, path + ": " + text);
    return make_error(errc::storage_failure, path + ": " + text);
  }
  auto place = place_of(st);
  std::string where;
  std::string holds;
  if (place.file.ends_with(".sst") || place.file.ends_with(".ldb")) {
    where = "table file " + place.file;
    holds = "; " + table_coverage(path, place.file, db);
  } else if (place.file.ends_with(".log")) {
    where = "write-ahead log " + place.file;
  } else if (!place.file.empty() && place.file != "CURRENT") {
    where = place.file;
  } else if (auto problem = metadata_problem(path); !problem.empty()) {
    where = problem;
  } else {
    where = "the log's metadata (CURRENT and the MANIFEST it names)";
  }
  if (place.offset && !place.file.empty())
    where += " at offset " + std::to_string(*place.offset);
  return make_error(errc::corrupt_record,
                    path + ": damaged: " + where + ": " + text + holds);
}

size_t check_table_files(
    const std::string& path, rocksdb::DB& db,
    const std::function<void(seq_t, seq_t, caf::error)>& problem) {
  std::vector<rocksdb::LiveFileMetaData> files;
  db.GetLiveFilesMetaData(&files);
  std::sort(files.begin(), files.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  size_t found = 0;
  for (auto& f : files) {
    auto file = fs::path{f.name}.filename().string();
    rocksdb::Options options;
    rocksdb::SstFileReader reader{options};
    auto st = reader.Open(readable_path(path, file));
    if (st.ok())
      st = reader.VerifyChecksum();
    if (st.ok())
      continue;
    // A writer's background compaction may have replaced the file since it
    // was listed: gone from the folder and from the live files, it is no
    // loss.
    if (std::error_code ec; !fs::exists(readable_path(path, file), ec)) {
      std::vector<rocksdb::LiveFileMetaData> now;
      db.GetLiveFilesMetaData(&now);
      if (std::none_of(now.begin(), now.end(),
                       [&](auto& x) { return x.name == f.name; }))
        continue;
    }
    ++found;
    seq_t first = 0;
    seq_t last = 0;
    auto holds = table_coverage(path, file, &db, &first, &last);
    auto err = storage_error(path, st, &db, true);
    if (!is(err, errc::corrupt_record) ||
        context_of(err).find(file) == std::string::npos)
      // Damage all the same (an I/O error on a file the log needs, or a
      // message that does not name the file).
      err = make_error(errc::corrupt_record, path + ": damaged: table file " +
                                                 file + ": " + st.ToString() +
                                                 "; " + holds);
    problem(first, last, std::move(err));
  }
  return found;
}

} // namespace tc::detail
