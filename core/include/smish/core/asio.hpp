// The one place that includes Boost.Asio (Boost 1.74 needs <utility> first with g++ 12, asio#944).
#pragma once

#include <utility>

#include <boost/asio.hpp>

namespace smish {
namespace asio = boost::asio;
}
