// Data-parallel training across processes and machines: who this process is in a job, and where
// the ranks meet. Standard types only (Qt units include it); the communication itself is LibTorch's
// c10d (Gloo on CPU, NCCL on CUDA) in train/data_parallel.cpp.
//
// A job is N runs of musecl:train (N qgis_process calls on N machines, or N processes on one) with
// the same inputs and options, each given its rank. They meet at a rendezvous:
//  - tcp://HOST:PORT: rank 0 listens on PORT (c10d's TCPStore); HOST must reach rank 0;
//  - file:///PATH: a file on storage every rank sees (c10d's FileStore; it must not exist before
//    the job, and is removed by rank 0 at the end).
// Unset fields come from the variables PyTorch's launchers set: WORLD_SIZE, RANK, and MASTER_ADDR
// with MASTER_PORT (tcp://MASTER_ADDR:MASTER_PORT).
#pragma once

#include <functional>
#include <string>

namespace musecl {

struct DistributedOptions {
  int worldSize = 1;       // 1: one process, no communication; 0: from WORLD_SIZE, else 1
  int rank = 0;            // -1: from RANK, else 0
  std::string rendezvous;  // empty: from MASTER_ADDR/MASTER_PORT
  // How long a rank waits for the others, at the rendezvous and in every collective step. A rank
  // that dies is noticed at once (its connections close); one that hangs, after this long.
  int timeoutSeconds = 300;

  bool active() const { return worldSize > 1; }
};

// What a rendezvous string means.
struct Rendezvous {
  enum class Kind { Tcp, File } kind = Kind::Tcp;
  std::string host;  // tcp
  int port = 0;      // tcp
  std::string path;  // file
};

// Parses "tcp://host:port" or "file:///absolute/path"; std::invalid_argument quoting the value.
Rendezvous parseRendezvous(const std::string &text);

// Fills what `given` leaves unset from the environment (`getenv` stands in for ::getenv in tests)
// and checks the result: std::invalid_argument naming the bad value or the missing variable.
DistributedOptions resolveDistributed(const DistributedOptions &given,
                                      const std::function<const char *(const char *)> &getenv = {});

// "rank 1 of 4 (tcp://10.0.0.5:29500, Gloo, timeout 300 s)"; "one process" when not active.
std::string describeDistributed(const DistributedOptions &options);

// Whether this build has c10d's Gloo backend (Debian's LibTorch does; a build without it refuses
// a world size above 1 with a message saying so).
bool distributedAvailable();

}  // namespace musecl
