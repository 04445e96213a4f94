// `timecontrol serve PATH [--http HOST:PORT] [--poll 200ms]`: the dashboard
// of http/dashboard.hpp (a live page, Prometheus metrics at /metrics, JSON
// at /api/state and /api/events) for a log another process may be writing.
//
// It follows the log as `replay --follow` does (a read-only follower that
// catches up every --poll) and folds each new event into the dashboard's
// view. It listens on loopback (127.0.0.1:8080) by default; another address
// is refused unless --insecure says that is meant. Port 0 takes a free
// port; the first line on standard output says where it serves ("serving
// http://127.0.0.1:43127/ for LOG"). It stops on SIGINT, SIGTERM or SIGHUP
// (exit 0), within a second even if a client keeps a connection open. Exit
// codes: 2 bad flags, 3 the log cannot be opened, is removed (or replaced)
// while served, or the address cannot be listened on, 4 the log is damaged
// (a record that does not decode, or 10 catch-ups in a row that fail).
//
// With --listen HOST:PORT it is the log's writer instead: it opens the log
// with a runtime of its own (named by --node) and serves that runtime to
// other processes as a node (net/node.hpp: they record, observe, schedule),
// with mutual TLS when --tls-cert, --tls-key and --tls-ca are given; the
// dashboard then folds the runtime's events live. An address other than
// loopback needs TLS or --insecure. Its second line says where the node
// listens ("node 127.0.0.1:4242"). The log must not be open in another
// writer (exit 3, locked).

#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/address.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/http/dashboard.hpp"
#include "timecontrol/net/node.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/numbers.hpp"
#include "timecontrol/tools/reading.hpp"
#include "timecontrol/tools/signals.hpp"

namespace tc::tool {

namespace {

struct serve_options {
  std::string path;
  std::string http = "127.0.0.1:8080";
  std::string poll = "200ms";
  std::string scheduler{default_scheduler_name};
  bool insecure = false;
  // As a node (--listen): the log's writer, served to other processes.
  std::string listen;
  std::string node = "serve";
  bool sync = false;
  tls_files tls;
};

/// `serve --listen`: the log's writer, its runtime served as a node.
int run_serve_node(const serve_options& opt, dashboard& d) {
  // The address is checked before the log is opened (a bad flag leaves no
  // log behind); serve_node checks it again.
  auto where = parse_host_port(opt.listen);
  if (!where) {
    complain("serve", "--listen '" + opt.listen +
                          "': expected HOST:PORT with a port from 0 to 65535 "
                          "(an IPv6 address in brackets), e.g. "
                          "127.0.0.1:4242");
    return exit_usage;
  }
  if (!is_loopback(where->host) && !opt.tls.enabled() && !opt.insecure) {
    complain("serve", "--listen '" + opt.listen +
                          "': not a loopback address, and no TLS; the plain "
                          "protocol authenticates no peer, so listening on "
                          "the network without TLS needs --insecure");
    return exit_usage;
  }
  caf::actor_system_config cfg;
  if (auto err = configure_node(cfg, {.tls = opt.tls})) {
    complain("serve", render(err));
    return exit_usage;
  }
  caf::actor_system sys{cfg};
  auto rt = runtime::start(
      sys,
      {.path = opt.path,
       .store = {.mode = opt.sync ? durability::sync : durability::buffered},
       .node = opt.node});
  if (!rt) {
    complain("serve", render(rt.error()));
    return exit_code_of_open_error(rt.error());
  }
  // The runtime first (the log closes cleanly), then the dashboard, before
  // the actor system ends; a client that holds a connection past the
  // dashboard's second ends the process (as the follower does).
  auto stop = [&](int code) -> int {
    if (auto err = (*rt)->shutdown(interrupted ? "serve stopped" : "serve")) {
      complain("serve", render(err));
      code = exit_data_error;
    }
    std::fflush(stdout);
    if (!d.stop())
      std::_Exit(code);
    return code;
  };
  if (auto err = d.follow(**rt)) {
    complain("serve", render(err));
    return stop(exit_data_error);
  }
  auto port =
      serve_node(**rt, {.listen = opt.listen, .insecure = opt.insecure});
  if (!port) {
    complain("serve", render(port.error()));
    return stop(exit_open_failed);
  }
  std::printf("serving %s for %s\nnode %s:%u%s\n", d.url().c_str(),
              opt.path.c_str(), where->host.c_str(),
              static_cast<unsigned>(*port),
              opt.tls.enabled() ? " (mutual TLS)" : "");
  std::fflush(stdout);
  while (!interrupted && wait_unless_stopped(std::chrono::seconds{1}))
    if (auto err = (*rt)->failure()) {
      complain("serve", render(err));
      return stop(exit_data_error);
    }
  return stop(exit_ok);
}

int run_serve(const serve_options& opt) {
  auto dash = dashboard::create({.listen = opt.http,
                                 .insecure = opt.insecure,
                                 .scheduler = opt.scheduler});
  if (!dash) {
    complain("serve", http_flag_error(dash.error()));
    return exit_usage;
  }
  auto every = parse_duration(opt.poll);
  if (!every || every.value() > std::chrono::hours{1}) {
    complain("serve", "--poll: '" + opt.poll +
                          "' is not a duration from 1ns to 1h: use e.g. "
                          "200ms or 1s");
    return exit_usage;
  }
  if (!catch_stop_signals(false)) {
    complain("serve", "cannot catch SIGINT and SIGTERM");
    return exit_data_error;
  }
  if (opt.tls.enabled() && opt.listen.empty()) {
    complain("serve", "--tls-cert, --tls-key and --tls-ca go with --listen");
    return exit_usage;
  }
  if (!opt.listen.empty()) {
    // Listen first, so that a port in use is said before the log is opened.
    if (auto port = (*dash)->listen(); !port) {
      complain("serve", render(port.error()));
      return exit_open_failed;
    }
    return run_serve_node(opt, **dash);
  }
  auto store = open_for_following("serve", opt.path);
  if (!store)
    return open_failure_exit_code();
  auto& d = **dash;
  auto fold = [&](seq_t from, seq_t to) {
    return store->replay({.from = from, .to = to}, [&](const envelope& x) {
      d.fold(x);
      return !interrupted;
    });
  };
  // Listen first, so that a port in use is said at once and not after a
  // long catch-up; then what the log holds now (a client may see the view
  // grow meanwhile), then say where it serves.
  if (auto port = d.listen(); !port) {
    complain("serve", render(port.error()));
    return exit_open_failed;
  }
  if (auto err = fold(1, store->last_seq())) {
    complain("serve", render(err));
    store.reset();
    if (!d.stop())
      std::_Exit(exit_data_error); // as at the end, below
    return exit_data_error;
  }
  std::printf("serving %s for %s\n", d.url().c_str(), opt.path.c_str());
  std::fflush(stdout);
  int result = exit_ok;
  int failed_refreshes = 0;
  // The log's folder, to notice it removed (or replaced) while served: a
  // follower would go on reading the files it holds open, and serve what
  // no longer is.
  struct stat opened {};
  bool known = ::stat(opt.path.c_str(), &opened) == 0;
  while (!interrupted && wait_unless_stopped(every.value())) {
    struct stat now {};
    if (known && (::stat(opt.path.c_str(), &now) != 0 ||
                  now.st_ino != opened.st_ino || now.st_dev != opened.st_dev)) {
      complain("serve", "not_found: " + opt.path +
                            ": the log was removed or replaced while served");
      result = exit_open_failed;
      break;
    }
    auto last = store->refresh();
    if (!last) {
      if (++failed_refreshes < 10)
        continue;
      complain("serve", render(last.error()));
      result = exit_data_error;
      break;
    }
    failed_refreshes = 0;
    auto from = d.last_seq() + 1;
    if (*last < from)
      continue;
    if (auto err = fold(from, *last)) {
      complain("serve", render(err));
      result = exit_data_error;
      break;
    }
  }
  // Once the follower's folder is removed (the store closed), a second is
  // all a client that keeps a connection open gets.
  store.reset();
  std::fflush(stdout);
  if (!d.stop())
    std::_Exit(result);
  return result;
}

} // namespace

std::string http_flag_error(const caf::error& err) {
  auto text = render(err);
  constexpr std::string_view field = "dashboard: listen ";
  if (auto at = text.find(field); at != std::string::npos)
    text = "--http " + text.substr(at + field.size());
  constexpr std::string_view insecure = "insecure = true";
  if (auto at = text.find(insecure); at != std::string::npos)
    text.replace(at, insecure.size(), "--insecure");
  return text;
}

void add_serve(CLI::App& app, int& result) {
  auto opt = std::make_shared<serve_options>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve a live dashboard, Prometheus metrics (/metrics) and "
               "JSON (/api/state, /api/events) of a log over HTTP, following "
               "it while another process writes it");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--http", opt->http,
                  "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--poll", opt->poll,
                  "How often to catch up with the log's writer")
      ->capture_default_str();
  cmd->add_option("--scheduler", opt->scheduler,
                  "The Scheduler whose runs to show (the source of its "
                  "events)")
      ->capture_default_str();
  cmd->add_flag("--insecure", opt->insecure,
                "Allow an --http address other than loopback (no "
                "authentication), and a --listen one without TLS");
  cmd->add_option("--listen", opt->listen,
                  "Be the log's writer and serve its runtime to other "
                  "processes as a node on HOST:PORT (port 0: any free port)");
  cmd->add_option("--node", opt->node, "With --listen: this node's name")
      ->capture_default_str();
  cmd->add_flag("--sync", opt->sync,
                "With --listen: fsync every write (durability::sync)");
  cmd->add_option("--tls-cert", opt->tls.certificate,
                  "With --listen: this node's certificate (PEM), for mutual "
                  "TLS");
  cmd->add_option("--tls-key", opt->tls.key, "Its private key (PEM)");
  cmd->add_option("--tls-ca", opt->tls.ca,
                  "The authority (PEM) a peer's certificate must be signed by");
  cmd->callback([opt, &result] { result = run_serve(*opt); });
}

} // namespace tc::tool
