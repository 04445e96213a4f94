#include "timecontrol/http/dashboard.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "tests/actors/fixture.hpp"
#include "timecontrol/actors/command.hpp"
#include "timecontrol/core/error.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

/// A runtime on CAF's test_coordinator: the dashboard's observer folds
/// events only when run() runs the actors, so what the server answers is
/// known; the HTTP requests come from this thread.
struct dashboard_fixture : test::actor_fixture {
  std::unique_ptr<dashboard> served() {
    auto d = dashboard::serve(*rt, {.listen = "127.0.0.1:0"});
    if (!d)
      BOOST_FAIL(render(d.error()));
    run();
    return std::move(*d);
  }

  static httplib::Result get(const dashboard& d, const std::string& path) {
    httplib::Client client{"127.0.0.1", d.port()};
    client.set_read_timeout(10s);
    return client.Get(path);
  }

  static nlohmann::json state_of(const dashboard& d) {
    auto res = get(d, "/api/state");
    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
    BOOST_TEST(res->get_header_value("Content-Type") == "application/json");
    return nlohmann::json::parse(res->body);
  }

  /// A command "api" limited to 2 calls per second that rejects the rest.
  command_actor api() {
    auto cmd = spawn_command(
        *rt, {.name = "api", .limiter = "2/s"},
        [](std::string args) -> caf::expected<std::string> { return args; });
    if (!cmd)
      BOOST_FAIL(render(cmd.error()));
    run();
    return *cmd;
  }
};

/// A client on a plain socket that asks for /api/events and keeps its
/// connection as long as the server does (as a browser may).
class raw_stream {
public:
  explicit raw_stream(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(fd_ >= 0);
    timeval limit{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
                  0);
    std::string ask = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    BOOST_REQUIRE(::write(fd_, ask.data(), ask.size()) ==
                  static_cast<ssize_t>(ask.size()));
  }

  ~raw_stream() { ::close(fd_); }

  /// Reads until `text` has come (true) or the connection ended (false).
  bool read_until(const std::string& text) {
    while (received.find(text) == std::string::npos)
      if (!read_some())
        return false;
    return true;
  }

  /// Reads until the server closes the connection (true), or 30 s pass.
  bool read_to_end() {
    while (read_some()) {
    }
    return closed_;
  }

  std::string received;

private:
  bool read_some() {
    char buf[4096];
    auto n = ::read(fd_, buf, sizeof buf);
    if (n == 0)
      closed_ = true;
    if (n <= 0)
      return false;
    received.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool closed_ = false;
};

bool holds(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(dashboard_tests, dashboard_fixture)

BOOST_AUTO_TEST_CASE(an_address_that_is_not_host_and_port_is_a_bad_config) {
  for (auto listen :
       {"nowhere", "127.0.0.1:65536", ":80", "127.0.0.1:", "127.0.0.1:8o",
        "127.0.0.1:-1", "::1:8080", "[::1:8080", "http://127.0.0.1:8080"}) {
    auto d = dashboard::create({.listen = listen});
    BOOST_TEST_INFO(listen);
    BOOST_REQUIRE(!d);
    BOOST_TEST(is(d.error(), errc::bad_config));
    BOOST_TEST(render(d.error()).find(std::string{"'"} + listen + "'") !=
               std::string::npos);
  }
  auto fast = dashboard::create({.listen = "127.0.0.1:0", .refresh = 5ms});
  BOOST_REQUIRE(!fast);
  BOOST_TEST(render(fast.error()).find("refresh 5ms") != std::string::npos);
  // Past 15 s a change would wait behind the keep-alives (and max() once
  // overflowed the wait into a busy loop).
  for (auto slow : {16000ms, std::chrono::milliseconds::max()}) {
    auto d = dashboard::create({.listen = "127.0.0.1:0", .refresh = slow});
    BOOST_REQUIRE(!d);
    BOOST_TEST(render(d.error()).find("from 10ms to 15s") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(the_network_is_served_only_when_insecure_says_so) {
  auto refused = dashboard::create({.listen = "0.0.0.0:0"});
  BOOST_REQUIRE(!refused);
  BOOST_TEST(render(refused.error()).find("not a loopback address") !=
             std::string::npos);
  BOOST_TEST(dashboard::create({.listen = "0.0.0.0:0", .insecure = true}));
  BOOST_TEST(dashboard::create({.listen = "[::1]:0"}));
  BOOST_TEST(dashboard::create({.listen = "localhost:0"}));
  BOOST_TEST(dashboard::create({.listen = "127.0.0.2:0"}));
  BOOST_TEST(dashboard::create({.listen = "127.1:0"}));
  BOOST_TEST(dashboard::create({.listen = "LOCALHOST:0"}));
  BOOST_TEST(dashboard::create({.listen = "[::ffff:127.0.0.1]:0"}));
  // Brackets hold an IPv6 address only.
  BOOST_TEST(!dashboard::create({.listen = "[127.0.0.1]:0"}));
  // A name that only begins like a loopback address may resolve anywhere.
  BOOST_TEST(!dashboard::create({.listen = "127.evil.example:80"}));
  BOOST_TEST(!dashboard::create({.listen = "[::2]:0"}));
}

BOOST_AUTO_TEST_CASE(a_runtime_s_calls_show_in_its_metrics_and_state) {
  auto d = served();
  auto cmd = api();
  for (int i = 0; i < 3; ++i)
    (void)ask<std::string>(cmd, call_atom::value, std::string{"x"});
  run();
  BOOST_TEST(d->last_seq() == store->last_seq());
  auto res = get(*d, "/metrics");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  BOOST_TEST(res->get_header_value("Content-Type") ==
             "text/plain; version=0.0.4; charset=utf-8");
  auto& text = res->body;
  BOOST_TEST(
      holds(text, R"(timecontrol_calls_admitted_total{command="api"} 2)"));
  BOOST_TEST(holds(
      text,
      R"(timecontrol_calls_throttled_total{command="api",action="rejected"} 1)"));
  BOOST_TEST(holds(
      text,
      R"(timecontrol_calls_finished_total{command="api",outcome="ok"} 2)"));
  BOOST_TEST(holds(text, "timecontrol_log_last_seq " +
                             std::to_string(store->last_seq())));
  // Inside a runtime the Log's backlog is a gauge too: nothing is pending.
  BOOST_TEST(holds(text, "timecontrol_log_backlog_bytes 0"));
  auto state = state_of(*d);
  BOOST_TEST(state["last_seq"] == store->last_seq());
  BOOST_REQUIRE(state["commands"].size() == 1u);
  BOOST_TEST(state["commands"][0]["command"] == "api");
  BOOST_TEST(state["commands"][0]["policy"] == "2/1s burst 2");
  BOOST_TEST(state["commands"][0]["admitted"] == 2);
  BOOST_TEST(state["commands"][0]["rejected"] == 1);
  auto page = get(*d, "/");
  BOOST_REQUIRE(page);
  BOOST_TEST(page->get_header_value("Content-Type") ==
             "text/html; charset=utf-8");
  BOOST_TEST(page->body.find("EventSource(\"api/events\")") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(events_before_the_dashboard_started_are_folded_in_too) {
  auto cmd = api();
  (void)ask<std::string>(cmd, call_atom::value, std::string{"before"});
  run();
  auto d = served();
  (void)ask<std::string>(cmd, call_atom::value, std::string{"after"});
  run();
  BOOST_TEST(d->last_seq() == store->last_seq());
  BOOST_TEST(state_of(*d)["commands"][0]["admitted"] == 2);
}

BOOST_AUTO_TEST_CASE(bad_paths_and_methods_are_answered_404_and_405) {
  auto d = served();
  auto missing = get(*d, "/nothing");
  BOOST_REQUIRE(missing);
  BOOST_TEST(missing->status == 404);
  BOOST_TEST(missing->body.find("/api/state") != std::string::npos);
  httplib::Client client{"127.0.0.1", d->port()};
  auto posted = client.Post("/metrics", "x", "text/plain");
  BOOST_REQUIRE(posted);
  BOOST_TEST(posted->status == 405);
  BOOST_TEST(posted->get_header_value("Allow") == "GET, HEAD");
  auto options = client.Options("/metrics");
  BOOST_REQUIRE(options);
  BOOST_TEST(options->status == 405);
}

BOOST_AUTO_TEST_CASE(
    a_host_header_that_is_not_loopback_is_refused_on_loopback) {
  auto d = served();
  httplib::Client client{"127.0.0.1", d->port()};
  // DNS rebinding: another site's name pointed at 127.0.0.1.
  auto rebound = client.Get("/api/state", {{"Host", "evil.example:8080"}});
  BOOST_REQUIRE(rebound);
  BOOST_TEST(rebound->status == 403);
  for (auto host : {"localhost:8080", "127.0.0.1", "[::1]:80"}) {
    auto fine = client.Get("/api/state", {{"Host", host}});
    BOOST_REQUIRE(fine);
    BOOST_TEST(fine->status == 200, host);
  }
}

BOOST_AUTO_TEST_CASE(a_range_request_is_refused_not_answered_with_a_slice) {
  auto d = served();
  httplib::Client client{"127.0.0.1", d->port()};
  for (auto path : {"/api/state", "/metrics", "/"}) {
    auto res = client.Get(path, {{"Range", "bytes=0-10"}});
    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 416, path);
  }
}

BOOST_AUTO_TEST_CASE(a_pause_of_a_watch_it_does_not_know_shows_no_row) {
  auto d = dashboard::create({.listen = "127.0.0.1:0"});
  BOOST_REQUIRE(d);
  (*d)->fold({1, test::sample_time(), "watchdog", policy_changed{"pause api"}});
  BOOST_REQUIRE((*d)->listen());
  BOOST_TEST(state_of(**d)["watches"].empty());
}

BOOST_AUTO_TEST_CASE(a_port_another_dashboard_holds_cannot_be_listened_on) {
  auto d = served();
  auto listen = "127.0.0.1:" + std::to_string(d->port());
  auto second = dashboard::create({.listen = listen});
  BOOST_REQUIRE(second);
  auto port = (*second)->listen();
  BOOST_REQUIRE(!port);
  BOOST_TEST(is(port.error(), errc::operation_failed));
  BOOST_TEST(render(port.error()).find("cannot listen on " + listen) !=
             std::string::npos);
  BOOST_TEST((*second)->url().empty());
}

BOOST_AUTO_TEST_CASE(the_dashboard_shows_the_log_after_its_runtime_stopped) {
  auto d = served();
  auto cmd = api();
  (void)ask<std::string>(cmd, call_atom::value, std::string{"x"});
  stop();
  BOOST_TEST(d->last_seq() == store->last_seq());
  auto state = state_of(*d);
  BOOST_TEST(state["latest_events"][0]["type"] == "node_stopped");
  BOOST_TEST(d->stop());
}

BOOST_AUTO_TEST_CASE(stop_ends_an_open_event_stream_and_listen_after_it_fails) {
  auto d = served();
  BOOST_TEST(d->url() == "http://127.0.0.1:" + std::to_string(d->port()) + "/");
  std::promise<void> first;
  std::string received;
  bool ended_cleanly = false;
  std::thread reader{[&] {
    httplib::Client client{"127.0.0.1", d->port()};
    client.set_read_timeout(30s);
    bool told = false;
    auto res = client.Get("/api/events", [&](const char* data, size_t n) {
      received.append(data, n);
      if (!told && received.find("\n\n") != std::string::npos) {
        told = true;
        first.set_value();
      }
      return true;
    });
    // Ended with its last chunk, not cut off.
    ended_cleanly = res && res->status == 200;
  }};
  first.get_future().wait();
  // The stream is open: stop() ends it and the server's threads within its
  // second, and the reader's request returns.
  BOOST_TEST(d->stop());
  reader.join();
  BOOST_TEST(ended_cleanly);
  BOOST_TEST(received.rfind("event: state\ndata: {", 0) == 0);
  auto again = d->listen();
  BOOST_REQUIRE(!again);
  BOOST_TEST(is(again.error(), errc::closed));
  BOOST_TEST(d->stop()); // twice
}

BOOST_AUTO_TEST_CASE(an_event_at_or_below_the_last_seq_is_ignored) {
  auto d = dashboard::create({.listen = "127.0.0.1:0"});
  BOOST_REQUIRE(d);
  auto at = test::sample_time();
  (*d)->fold(
      {.seq = 2, .time = at, .source = "api", .body = call_admitted{1, 0s}});
  (*d)->fold(
      {.seq = 1, .time = at, .source = "api", .body = call_admitted{2, 0s}});
  (*d)->fold(
      {.seq = 2, .time = at, .source = "api", .body = call_admitted{3, 0s}});
  BOOST_TEST((*d)->last_seq() == 2u);
  BOOST_REQUIRE((*d)->listen());
  BOOST_TEST(state_of(**d)["commands"][0]["admitted"] == 1);
}

BOOST_AUTO_TEST_CASE(stop_ends_streams_whose_clients_keep_the_connection) {
  auto d = served();
  std::vector<std::unique_ptr<raw_stream>> streams;
  for (int i = 0; i < 8; ++i) {
    streams.push_back(std::make_unique<raw_stream>(d->port()));
    BOOST_REQUIRE(streams.back()->read_until("\n\n"));
  }
  // Within its second: the server closes each connection after the last
  // chunk instead of waiting for another request on it (the stream says
  // so; a keep-alive wait raced stop() and held it up for 5 s).
  for (auto& x : streams)
    BOOST_TEST(x->received.find("\r\nConnection: close\r\n") !=
               std::string::npos);
  BOOST_TEST(d->stop());
  for (auto& x : streams) {
    BOOST_TEST(x->read_to_end());
    BOOST_TEST(x->received.find("0\r\n\r\n") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_quiet_stream_gets_a_comment_each_second_at_any_refresh) {
  auto d = dashboard::serve(*rt, {.listen = "127.0.0.1:0", .refresh = 15s});
  if (!d)
    BOOST_FAIL(render(d.error()));
  run();
  raw_stream stream{(*d)->port()};
  BOOST_REQUIRE(stream.read_until("event: state"));
  // Long before the 15 s refresh (a condition, up to 30 s).
  BOOST_TEST(stream.read_until(": keep-alive\n\n"));
}

BOOST_AUTO_TEST_CASE(a_dashboard_follows_one_runtime_and_not_after_stop) {
  auto d = served();
  BOOST_TEST(is(d->follow(*rt), errc::bad_config));
  BOOST_TEST(d->stop());
  auto other = dashboard::create({.listen = "127.0.0.1:0"});
  BOOST_REQUIRE(other);
  BOOST_TEST((*other)->stop());
  BOOST_TEST(is((*other)->follow(*rt), errc::closed));
}

BOOST_AUTO_TEST_CASE(a_host_that_does_not_resolve_is_named_so) {
  auto d =
      dashboard::create({.listen = "no-such-host.invalid:0", .insecure = true});
  BOOST_REQUIRE(d);
  auto port = (*d)->listen();
  BOOST_REQUIRE(!port);
  BOOST_TEST(render(port.error()).find("the host does not resolve") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(calls_running_when_their_process_stopped_are_not_shown) {
  auto d = dashboard::create({.listen = "127.0.0.1:0"});
  BOOST_REQUIRE(d);
  auto at = test::sample_time();
  (*d)->fold({1, at, "api", call_admitted{1, 0s}});
  (*d)->fold({2, at, "node", node_stopped{"shutdown"}});
  BOOST_REQUIRE((*d)->listen());
  auto state = state_of(**d);
  BOOST_TEST(state["commands"][0]["admitted"] == 1);
  BOOST_TEST(state["commands"][0]["running"] == 0);
}

BOOST_AUTO_TEST_CASE(listen_from_two_threads_at_once_binds_once) {
  for (int round = 0; round < 50; ++round) {
    auto d = dashboard::create({.listen = "127.0.0.1:0"});
    BOOST_REQUIRE(d);
    caf::expected<uint16_t> a{uint16_t{0}};
    caf::expected<uint16_t> b{uint16_t{0}};
    std::thread other{[&] { a = (*d)->listen(); }};
    b = (*d)->listen();
    other.join();
    BOOST_REQUIRE(a);
    BOOST_REQUIRE(b);
    BOOST_TEST(*a == *b);
    BOOST_TEST((*d)->stop());
  }
}

BOOST_AUTO_TEST_CASE(a_stop_beside_a_listen_leaves_nothing_serving) {
  for (int round = 0; round < 50; ++round) {
    auto d = dashboard::create({.listen = "127.0.0.1:0"});
    BOOST_REQUIRE(d);
    caf::expected<uint16_t> port{uint16_t{0}};
    std::thread other{[&] { port = (*d)->listen(); }};
    BOOST_TEST((*d)->stop());
    other.join();
    d->reset();
    // Either listen came first (and stop ended it) or it was refused.
    if (port && *port != 0) {
      httplib::Client client{"127.0.0.1", *port};
      client.set_connection_timeout(1s);
      BOOST_TEST(!client.Get("/metrics"));
    } else {
      BOOST_TEST(is(port.error(), errc::closed));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_stream_whose_client_went_away_frees_its_slot) {
  auto d = served();
  {
    httplib::Client client{"127.0.0.1", d->port()};
    std::string received;
    // The client stops reading after the first state and closes.
    (void)client.Get("/api/events", [&](const char* data, size_t n) {
      received.append(data, n);
      return received.find("\n\n") == std::string::npos;
    });
  }
  // The quiet stream writes a comment after a second, fails, and ends;
  // wait for that (a condition, not a time: up to 30 s).
  auto streams = [&] {
    auto res = get(*d, "/metrics");
    BOOST_REQUIRE(res);
    auto at = res->body.find("\ntimecontrol_dashboard_event_streams ");
    BOOST_REQUIRE(at != std::string::npos);
    return std::stoi(res->body.substr(at + 37));
  };
  auto give_up = std::chrono::steady_clock::now() + 30s;
  while (streams() != 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(50ms);
  BOOST_TEST(streams() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
