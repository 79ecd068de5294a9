// Asio and Beast compiled once for the whole program (BOOST_*_SEPARATE_COMPILATION is set on phonechat_http).
#include <boost/asio/impl/src.hpp>
// GCC 12 with the sanitizers reports a boost::optional in Beast's parser as maybe-uninitialized; it is not.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/beast/src.hpp>
#pragma GCC diagnostic pop
