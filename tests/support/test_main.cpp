// The one main() shared by every test program (Boost.Test, dynamic library).
#define BOOST_TEST_MODULE timecontrol
#include <boost/test/unit_test.hpp>
