// How Boost.Test prints timecontrol's values in failed checks.

#pragma once

#include <boost/test/unit_test.hpp>

#include <ostream>

#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/time.hpp"

// Time points as nanoseconds since the epoch.
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<tc::time_point> {
  void operator()(std::ostream& os, const tc::time_point& t) {
    os << tc::to_nanos(t) << "ns";
  }
};
} // namespace boost::test_tools::tt_detail

// Deadline statuses by name.
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<tc::deadline_status> {
  void operator()(std::ostream& os, tc::deadline_status s) {
    os << tc::to_string(s);
  }
};
} // namespace boost::test_tools::tt_detail
