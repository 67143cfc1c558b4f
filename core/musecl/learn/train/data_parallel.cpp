// c10d process groups for data-parallel training: see data_parallel.h.
#include "musecl/learn/train/data_parallel.h"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(USE_C10D_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace musecl {

bool distributedAvailable() {
#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
  return true;
#else
  return false;
#endif
}

namespace train {

struct DataParallel::Impl {
  DistributedOptions options;
  std::string backend;
  torch::Device device{torch::kCPU};  // where the group's collectives want their tensors (NCCL: this rank's GPU)
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;

  // Runs a collective; any failure becomes one message naming this rank, the step and the likely cause.
  template <typename F>
  void guarded(const std::string &where, F &&f) const {
    try {
      f();
    } catch (const c10::Error &e) {
      fail(where, e.what_without_backtrace());
    } catch (const std::exception &e) {
      fail(where, e.what());
    }
  }
  [[noreturn]] void fail(const std::string &where, const std::string &why) const {
    std::string first = why.substr(0, why.find('\n'));
    throw std::runtime_error("distributed training, " + describeDistributed(options) + ": " + where + " failed (" +
                             first + "). Another rank stopped, crashed, or did not answer within " +
                             std::to_string(options.timeoutSeconds) + " s");
  }
};

namespace {

constexpr std::size_t kBucketBytes = std::size_t(25) << 20;  // as DistributedDataParallel's default

bool isLoopback(const std::string &host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

#if defined(USE_C10D_GLOO)
// The network interface Gloo uses: GLOO_SOCKET_IFNAME as PyTorch honours it, loopback for a
// loopback rendezvous, else the address this machine's host name resolves to.
std::shared_ptr<::gloo::transport::Device> glooDevice(const Rendezvous &r) {
  if (const char *ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (r.kind == Rendezvous::Kind::Tcp && isLoopback(r.host))
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

// The tensors (all of one dtype) as one flat tensor on `device`, for one collective instead of many.
torch::Tensor flatten(const std::vector<torch::Tensor> &tensors, const torch::Device &device) {
  std::vector<torch::Tensor> flat;
  for (const torch::Tensor &t : tensors) flat.push_back(t.detach().reshape({-1}));
  return torch::cat(flat).to(device);
}

// Copies a flat result back into the tensors it was made from, each on its own device.
void unflatten(const torch::Tensor &flat, const std::vector<torch::Tensor> &tensors) {
  torch::NoGradGuard noGrad;
  int64_t offset = 0;
  for (const torch::Tensor &t : tensors) {
    t.copy_(flat.slice(0, offset, offset + t.numel()).view_as(t));
    offset += t.numel();
  }
}

// Runs `op` on one flat copy of `tensors` on the group's device and copies the result back.
void flatCollective(const std::vector<torch::Tensor> &tensors, const torch::Device &groupDevice,
                    const std::function<void(std::vector<at::Tensor> &)> &op) {
  if (tensors.empty()) return;
  std::vector<at::Tensor> buffer{flatten(tensors, groupDevice)};
  op(buffer);
  unflatten(buffer[0], tensors);
}

}  // namespace

DataParallel::DataParallel(const DistributedOptions &options,
                           [[maybe_unused]] const torch::Device &device) {  // device: NCCL builds only
  if (!options.active()) return;
  auto impl = std::make_shared<Impl>();
  impl->options = options;
  const Rendezvous r = parseRendezvous(options.rendezvous);
  const std::chrono::milliseconds timeout = std::chrono::seconds(options.timeoutSeconds);
  impl->guarded("the rendezvous at " + options.rendezvous, [&] {
    if (r.kind == Rendezvous::Kind::Tcp) {
      c10d::TCPStoreOptions so;
      so.port = static_cast<std::uint16_t>(r.port);
      so.isServer = options.rank == 0;
      so.numWorkers = static_cast<std::size_t>(options.worldSize);
      so.waitWorkers = true;
      so.timeout = timeout;
      impl->store = c10::make_intrusive<c10d::TCPStore>(r.host, so);
    } else {
      impl->store = c10::make_intrusive<c10d::FileStore>(r.path, options.worldSize);
      impl->store->setTimeout(timeout);
    }
    // A prefix keeps this job's keys apart from anything else using the same store.
    auto store = c10::make_intrusive<c10d::PrefixStore>("musecl", impl->store);
#if defined(USE_C10D_NCCL)
    if (device.is_cuda()) {
      // Without this LibTorch's NCCL group does not enforce its timeout: a dead rank would hang the others.
      setenv("NCCL_ASYNC_ERROR_HANDLING", "1", 0);
      impl->device = device;
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = timeout;
      impl->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, options.rank, options.worldSize, o);
      impl->backend = "NCCL";
      return;
    }
#endif
#if defined(USE_C10D_GLOO)
    auto o = c10d::ProcessGroupGloo::Options::create(timeout);
    o->devices.push_back(glooDevice(r));
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, options.rank, options.worldSize, o);
    impl->backend = "Gloo";
    // impl->device stays the CPU: Gloo here takes CPU tensors, so CUDA ranks communicate through host memory.
#else
    (void)device;
    throw std::runtime_error("this build has no c10d backend for " + device.str());
#endif
  });
  impl_ = impl;
  barrier("the first barrier");  // every rank connected before anyone starts computing
}

int DataParallel::rank() const { return impl_ ? impl_->options.rank : 0; }
int DataParallel::worldSize() const { return impl_ ? impl_->options.worldSize : 1; }
std::string DataParallel::backend() const { return impl_ ? impl_->backend : std::string(); }

std::pair<std::size_t, std::size_t> shardOf(std::size_t from, std::size_t to, int rank, int world) {
  if (world <= 1 || to <= from) return {from, std::max(from, to)};
  const std::size_t n = to - from, w = static_cast<std::size_t>(world), r = static_cast<std::size_t>(rank);
  const std::size_t base = n / w, extra = n % w;
  const std::size_t begin = from + r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

std::pair<std::size_t, std::size_t> DataParallel::shard(std::size_t from, std::size_t to) const {
  return shardOf(from, to, rank(), worldSize());
}

void DataParallel::sumGradients(const std::vector<torch::Tensor> &parameters, const std::string &where) const {
  if (!impl_) return;
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor &p : parameters) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  // Buckets in parameter order: every rank forms the same ones, so the collectives pair up.
  std::vector<std::vector<torch::Tensor>> buckets(1);
  std::size_t bytes = 0;
  for (const torch::Tensor &g : grads) {
    const std::size_t b = static_cast<std::size_t>(g.numel()) * g.element_size();
    if (bytes > 0 && (bytes + b > kBucketBytes || g.scalar_type() != buckets.back().front().scalar_type())) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(g);
    bytes += b;
  }
  impl_->guarded(where + " (gradient all-reduce)", [&] {
    // Start every bucket, then wait: Gloo works on the buckets concurrently.
    std::vector<std::vector<at::Tensor>> flats(buckets.size());
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (std::size_t k = 0; k < buckets.size(); ++k) {
      if (buckets[k].empty()) continue;
      flats[k] = {flatten(buckets[k], impl_->device)};
      works.push_back(impl_->group->allreduce(flats[k]));
    }
    for (auto &w : works) w->wait();
    for (std::size_t k = 0; k < buckets.size(); ++k)
      if (!buckets[k].empty()) unflatten(flats[k][0], buckets[k]);
  });
}

void DataParallel::averageTensors(const std::vector<torch::Tensor> &tensors, const std::string &where) const {
  if (!impl_ || tensors.empty()) return;
  impl_->guarded(where + " (average)", [&] {
    flatCollective(tensors, impl_->device, [&](std::vector<at::Tensor> &buffer) {
      impl_->group->allreduce(buffer)->wait();
      buffer[0].div_(worldSize());
    });
  });
}

void DataParallel::broadcast(const std::vector<torch::Tensor> &tensors, const std::string &where) const {
  if (!impl_ || tensors.empty()) return;
  impl_->guarded(where + " (broadcast from rank 0)", [&] {
    // One collective per dtype, dtypes in order of first appearance (the same on every rank).
    std::vector<std::vector<torch::Tensor>> groups;
    for (const torch::Tensor &t : tensors) {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const auto &g) { return g.front().scalar_type() == t.scalar_type(); });
      if (it == groups.end())
        groups.push_back({t});
      else
        it->push_back(t);
    }
    for (const auto &g : groups)
      flatCollective(g, impl_->device,
                     [&](std::vector<at::Tensor> &buffer) { impl_->group->broadcast(buffer)->wait(); });
  });
}

std::vector<double> DataParallel::sumDoubles(std::vector<double> values, const std::string &where) const {
  impl_->guarded(where, [&] {
    std::vector<at::Tensor> t{torch::tensor(values, torch::kFloat64).to(impl_->device)};
    impl_->group->allreduce(t)->wait();
    const torch::Tensor back = t[0].cpu();
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = back[static_cast<int64_t>(i)].item<double>();
  });
  return values;
}

double DataParallel::sum(double value, const std::string &where) const {
  if (!impl_) return value;
  return sumDoubles({value}, where + " (sum)")[0];
}

double DataParallel::sumUnlessFailed(double value, const std::string &failure, const std::string &where) const {
  if (!impl_) {
    if (!failure.empty()) throw std::runtime_error(failure);
    return value;
  }
  // [loss, failed(rank 0), ..., failed(rank W-1)] in one all-reduce.
  std::vector<double> status(static_cast<std::size_t>(worldSize()) + 1, 0.0);
  status[0] = failure.empty() ? value : 0.0;
  status[static_cast<std::size_t>(rank()) + 1] = failure.empty() ? 0.0 : 1.0;
  status = sumDoubles(std::move(status), where + " (loss and status)");
  if (!failure.empty()) throw std::runtime_error(failure);
  std::string failed;
  for (int r = 0; r < worldSize(); ++r)
    if (status[static_cast<std::size_t>(r) + 1] > 0) failed += (failed.empty() ? "" : ", ") + std::to_string(r);
  if (!failed.empty())
    throw std::runtime_error("distributed training, " + describeDistributed(impl_->options) + ": rank(s) " + failed +
                             " failed in " + where + "; their logs say why");
  return status[0];
}

void DataParallel::barrier(const std::string &where) const {
  if (!impl_) return;
  impl_->guarded(where, [&] { impl_->group->barrier()->wait(); });
}

std::vector<torch::Tensor> floatingBuffers(const torch::nn::Module &module) {
  std::vector<torch::Tensor> out;
  for (const torch::Tensor &b : module.buffers())
    if (b.is_floating_point()) out.push_back(b);
  return out;
}

}  // namespace train
}  // namespace musecl
