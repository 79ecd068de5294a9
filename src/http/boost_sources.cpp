// Asio and Beast compiled once for the whole program (BOOST_*_SEPARATE_COMPILATION is set on phonechat_http).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
