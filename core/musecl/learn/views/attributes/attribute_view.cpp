// The region-attribute view: see attribute_view.h.
#include "musecl/learn/views/attributes/attribute_view.h"

#include "musecl/learn/train/archive.h"
#include "musecl/learn/train/context.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace musecl::train {

namespace {

std::vector<std::size_t> columnsOf(const AttributeColumns &columns, const std::vector<std::string> &names) {
  std::vector<std::size_t> at;
  for (const std::string &name : names) {
    std::size_t k = 0;
    while (k < columns.names.size() && columns.names[k] != name) ++k;
    if (k == columns.names.size())
      throw std::invalid_argument("the model's region attribute field '" + name +
                                  "' is not among the fields given; give the fields the model was trained with");
    at.push_back(k);
  }
  return at;
}

// A field with no negative value among the regions that have the view is log-scaled.
std::vector<bool> chooseScaling(const AttributeColumns &columns) {
  std::vector<bool> log(columns.names.size(), true);
  for (const auto &row : columns.values)
    for (std::size_t k = 0; k < row.size() && k < log.size(); ++k)
      if (row[k] < 0) log[k] = false;
  return log;
}

// Above this many fields the view is their leading principal components. Long field lists (POI
// category counts, land-use classes) hold rare fields that the fusion's standardisation turns into
// a few regions' outliers; the leading components keep what the fields share. Only components with
// more variance than one standardised field are kept (Kaiser's rule): the fusion standardises each
// component again, which would raise a weaker one, mostly noise, to the strength of the others.
constexpr int64_t kLeadingComponents = 16;

// The standardisation and projection onto the leading components, fitted on the regions that have
// the view; undefined (the fields as they are) up to kLeadingComponents fields.
struct Reduction {
  torch::Tensor mean, stdev, projection;  // 1 x fields, 1 x fields, fields x components
  double explained = 0;                   // the components' share of the variance, when fitted
  bool on() const { return projection.defined(); }
};

Reduction fitReduction(const ViewVectors &view) {
  Reduction r;
  if (!view.defined() || view.values.size(1) <= kLeadingComponents) return r;
  std::vector<int64_t> rows;
  for (std::size_t i = 0; i < view.has.size(); ++i)
    if (view.has[i]) rows.push_back(static_cast<int64_t>(i));
  const torch::Tensor x = view.values.index_select(0, torch::tensor(rows, torch::kLong)).to(torch::kDouble);
  r.mean = x.mean(0, true);
  r.stdev = x.std(0, false, true).clamp_min(1e-6);
  const auto usv = at::linalg_svd((x - r.mean) / r.stdev, false);
  const torch::Tensor power = std::get<1>(usv).pow(2);
  const int64_t strong = power.gt(static_cast<double>(rows.size())).sum().item<int64_t>();
  const int64_t k = std::clamp<int64_t>(strong, 1, kLeadingComponents);
  r.explained = power.sum().item<double>() > 0 ? (power.narrow(0, 0, k).sum() / power.sum()).item<double>() : 0.0;
  r.projection = std::get<2>(usv).narrow(0, 0, k).t().to(torch::kFloat).contiguous();
  r.mean = r.mean.to(torch::kFloat);
  r.stdev = r.stdev.to(torch::kFloat);
  return r;
}

ViewVectors reduced(ViewVectors view, const Reduction &r) {
  if (!r.on() || !view.defined()) return view;
  if (view.values.size(1) != r.projection.size(0))
    throw std::runtime_error("the region-attribute view has " + std::to_string(view.values.size(1)) +
                             " fields and a projection for " + std::to_string(r.projection.size(0)));
  view.values = ((view.values - r.mean) / r.stdev).mm(r.projection).contiguous();
  return view;
}

std::string joined(const std::vector<std::string> &names) {
  std::string out;
  for (const std::string &n : names) out += (out.empty() ? "" : "\n") + n;
  return out;
}

std::vector<std::string> split(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string reductionText(const Reduction &r) {
  if (!r.on()) return "";
  char share[16];
  std::snprintf(share, sizeof(share), "%.0f", 100 * r.explained);
  return ", standardised and reduced to their " + std::to_string(r.projection.size(1)) +
         " leading principal component(s) (" + share + " % of the variance; at most " +
         std::to_string(kLeadingComponents) + ", each with more variance than one field)";
}

// A model from before the reduction has none: its fields are read as they are.
Reduction readReduction(torch::serialize::InputArchive &sub, std::size_t fields) {
  Reduction r;
  if (!sub.try_read("attr.projection", r.projection)) return r;
  r.mean = readTensor(sub, "attr.mean");
  r.stdev = readTensor(sub, "attr.std");
  const auto n = static_cast<int64_t>(fields);
  if (r.projection.dim() != 2 || r.projection.size(0) != n || r.mean.numel() != n || r.stdev.numel() != n)
    throw std::runtime_error("the region-attribute view's projection does not match its " + std::to_string(fields) +
                             " field(s)");
  return r;
}

class AttributeView final : public RegionView {
 public:
  AttributeView() : RegionView(View::Attributes) {}

  ViewVectors train(ViewRun &run, double &) override {
    const AttributeColumns &columns = run.table.attributes;
    if (!run.table.hasAttributes()) return {};
    names_ = columns.names;
    logScaled_ = chooseScaling(columns);
    ViewVectors view = attributeVectors(run.table, names_, logScaled_);
    reduction_ = fitReduction(view);
    std::size_t logged = 0;
    for (bool l : logScaled_) logged += l;
    if (view.defined())
      run.ctx.decide("region attributes: " + std::to_string(names_.size()) + " field(s) in " +
                     std::to_string(view.count()) + " of " + std::to_string(run.table.size()) + " regions, " +
                     std::to_string(logged) + " of them (no negative value) as log(1 + value)" +
                     reductionText(reduction_) + "; fused as a view");
    else
      run.ctx.decide("region attributes: every region has a NULL in some field; not used");
    inModel_ = view.defined();
    return reduced(std::move(view), reduction_);
  }
  bool inModel() const override { return inModel_; }
  bool given(const RegionTable &table) const override { return table.hasAttributes(); }
  const char *inputs() const override { return "region attribute fields"; }

  void countInputs(const RegionTable &table, std::vector<std::size_t> &counts) const override {
    countPerRegion(table.attributes.values, table.size(), counts);  // an empty row: a NULL field
    counts.push_back(table.attributes.names.size());
  }
  ViewVectors apply(ViewRun &run) override {
    return reduced(attributeVectors(run.table, names_, logScaled_), reduction_);
  }
  void describe(ModelInfo &info, const ViewVectors &trained) const override {
    info.attributes = trained.defined();
    info.attributeNames = trained.defined() ? names_ : std::vector<std::string>();
  }
  void save(torch::serialize::OutputArchive &archive) const override {
    if (!inModel_) return;
    torch::serialize::OutputArchive sub;
    writeString(sub, "attr.names", joined(names_));
    std::vector<std::int64_t> log(logScaled_.begin(), logScaled_.end());
    sub.write("attr.log", c10::IValue(log));
    if (reduction_.on()) {
      sub.write("attr.mean", reduction_.mean);
      sub.write("attr.std", reduction_.stdev);
      sub.write("attr.projection", reduction_.projection);
    }
    archive.write("view.attr", sub);
  }
  void load(torch::serialize::InputArchive &archive, ModelInfo &info) override {
    torch::serialize::InputArchive sub;
    if (!archive.try_read("view.attr", sub)) return;  // a model without the view, or from before it
    names_ = split(readString(sub, "attr.names"));
    c10::IValue log;
    sub.read("attr.log", log);
    logScaled_.clear();
    for (std::int64_t l : log.toIntVector()) logScaled_.push_back(l != 0);
    if (names_.empty() || logScaled_.size() != names_.size())
      throw std::runtime_error("the region-attribute view has " + std::to_string(names_.size()) + " field(s) and " +
                               std::to_string(logScaled_.size()) + " scalings");
    reduction_ = readReduction(sub, names_.size());
    inModel_ = true;
    info.attributes = true;
    info.attributeNames = names_;
  }

 private:
  std::vector<std::string> names_;
  std::vector<bool> logScaled_;
  Reduction reduction_;
  bool inModel_ = false;
};

}  // namespace

ViewVectors attributeVectors(const RegionTable &table, const std::vector<std::string> &names,
                             const std::vector<bool> &logScaled) {
  if (!table.hasAttributes() || names.empty()) return {};
  const std::vector<std::size_t> at = columnsOf(table.attributes, names);
  ViewVectors view;
  view.values = torch::zeros({static_cast<int64_t>(table.size()), static_cast<int64_t>(names.size())});
  view.has.assign(table.size(), 0);
  auto a = view.values.accessor<float, 2>();
  for (std::size_t r = 0; r < table.size() && r < table.attributes.values.size(); ++r) {
    const auto &row = table.attributes.values[r];
    if (row.empty()) continue;
    for (std::size_t k = 0; k < names.size(); ++k) {
      const double v = row[at[k]];
      if (logScaled[k] && v < 0)
        throw std::invalid_argument("region '" + table.ids[r] + "' has " + std::to_string(v) + " in field '" +
                                    names[k] +
                                    "', which had no negative value in training and is modelled as log(1 + value)");
      a[static_cast<int64_t>(r)][static_cast<int64_t>(k)] = static_cast<float>(logScaled[k] ? std::log1p(v) : v);
    }
    view.has[r] = 1;
  }
  return view.count() > 0 ? view : ViewVectors();
}

std::unique_ptr<RegionView> makeAttributeView() { return std::make_unique<AttributeView>(); }

}  // namespace musecl::train
