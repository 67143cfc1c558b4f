// Who a process is in a data-parallel job: see distributed.h.
#include "musecl/learn/train/distributed.h"

#include <cstdlib>
#include <stdexcept>

namespace musecl {

namespace {

// A whole non-negative decimal integer, or -1.
long parseCount(const std::string &s) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stol(s);
}

}  // namespace

Rendezvous parseRendezvous(const std::string &text) {
  Rendezvous r;
  if (text.rfind("tcp://", 0) == 0) {
    const std::string rest = text.substr(6);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw std::invalid_argument("rendezvous '" + text +
                                  "' has no host and port; write tcp://HOST:PORT, e.g. tcp://10.0.0.5:29500");
    r.host = rest.substr(0, colon);
    if (r.host.size() > 2 && r.host.front() == '[' && r.host.back() == ']')
      r.host = r.host.substr(1, r.host.size() - 2);  // [IPv6]
    const long port = parseCount(rest.substr(colon + 1));
    if (port < 1 || port > 65535)
      throw std::invalid_argument("rendezvous '" + text + "': port '" + rest.substr(colon + 1) +
                                  "' is not a number from 1 to 65535");
    r.port = static_cast<int>(port);
    return r;
  }
  if (text.rfind("file://", 0) == 0) {
    r.kind = Rendezvous::Kind::File;
    r.path = text.substr(7);
    if (r.path.empty() || r.path.front() != '/')
      throw std::invalid_argument(
          "rendezvous '" + text +
          "' needs an absolute path on storage every rank sees, e.g. file:///shared/job42.rendezvous");
    return r;
  }
  throw std::invalid_argument("rendezvous '" + text + "' is neither tcp://HOST:PORT nor file:///PATH");
}

DistributedOptions resolveDistributed(const DistributedOptions &given,
                                      const std::function<const char *(const char *)> &getenvFn) {
  auto env = [&](const char *name) -> std::string {
    const char *v = getenvFn ? getenvFn(name) : std::getenv(name);
    return v ? std::string(v) : std::string();
  };
  DistributedOptions o = given;
  if (o.worldSize < 0) throw std::invalid_argument("world size " + std::to_string(o.worldSize) + " is negative");
  if (o.worldSize == 0) {
    const std::string w = env("WORLD_SIZE");
    if (w.empty()) {
      o.worldSize = 1;
    } else {
      const long n = parseCount(w);
      if (n < 1)
        throw std::invalid_argument("environment variable WORLD_SIZE='" + w + "' is not a positive whole number");
      o.worldSize = static_cast<int>(n);
    }
  }
  if (o.rank < 0) {
    const std::string r = env("RANK");
    if (r.empty()) {
      if (o.worldSize > 1)
        throw std::invalid_argument("world size is " + std::to_string(o.worldSize) +
                                    " but no rank is given (parameter RANK or environment variable RANK)");
      o.rank = 0;
    } else {
      const long n = parseCount(r);
      if (n < 0) throw std::invalid_argument("environment variable RANK='" + r + "' is not a whole number");
      o.rank = static_cast<int>(n);
    }
  }
  if (o.rank >= o.worldSize)
    throw std::invalid_argument("rank " + std::to_string(o.rank) + " is outside a world of " +
                                std::to_string(o.worldSize) + " (ranks 0 to " + std::to_string(o.worldSize - 1) + ")");
  if (o.timeoutSeconds < 1)
    throw std::invalid_argument("distributed timeout " + std::to_string(o.timeoutSeconds) + " s must be at least 1 s");
  if (!o.active()) return o;
  if (o.rendezvous.empty()) {
    const std::string addr = env("MASTER_ADDR"), port = env("MASTER_PORT");
    if (addr.empty() || port.empty())
      throw std::invalid_argument(
          "world size is " + std::to_string(o.worldSize) +
          " but no rendezvous is given: set RENDEZVOUS (tcp://HOST:PORT or file:///PATH) or the environment variables MASTER_ADDR and MASTER_PORT");
    o.rendezvous = "tcp://" + addr + ":" + port;
  }
  parseRendezvous(o.rendezvous);  // throws for a malformed one
  if (!distributedAvailable())
    throw std::invalid_argument(
        "this build of the plugin has no distributed backend (LibTorch's c10d Gloo was not found at build time); world size must be 1");
  return o;
}

std::string describeDistributed(const DistributedOptions &o) {
  if (!o.active()) return "one process";
  return "rank " + std::to_string(o.rank) + " of " + std::to_string(o.worldSize) + " (" + o.rendezvous + ", timeout " +
         std::to_string(o.timeoutSeconds) + " s)";
}

}  // namespace musecl
