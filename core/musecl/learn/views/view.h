// A view: one kind of input turned into one vector per region, as the fusion sees it. Each view is
// a folder under learn/views/ with one RegionView type that says which inputs it needs, trains
// (keeping what embedding needs again), embeds another table, describes itself in ModelInfo, and
// saves and loads its trained parts in the model file. The driver (train/training.cpp), the model
// file and the fusion only iterate over the registry (registry.cpp), in catalogue order.
//
// The hooks follow torchgeo's split of a task into data, sampling, model and training steps: a
// view's own folder holds its encoder, its sampler and its training loop; this interface is only
// what the driver calls. Internal header (LibTorch).
#pragma once

#include "musecl/learn/train/context.h"

#include <array>
#include <memory>
#include <vector>

namespace musecl::train {

// What a view may use in one run (training or embedding).
struct ViewRun {
  const RegionTable &table;
  const ImageLoader &loadImage;
  const RasterChipLoader &loadChip;  // may be empty
  Context &ctx;
};

class RegionView {
 public:
  explicit RegionView(View view) : view_(view) {}
  virtual ~RegionView() = default;
  RegionView(const RegionView &) = delete;
  RegionView &operator=(const RegionView &) = delete;

  View view() const { return view_; }
  int index() const { return static_cast<int>(view_); }
  const char *name() const { return viewName(index()); }

  // Progress: the share of the whole run that training this view takes (heavy views: image
  // encoders), or the share of what the heavy views leave (light views). Progress only.
  virtual double heavyShare(const ViewRun &) const { return 0; }
  virtual double lightShare() const { return 0; }
  // Progress while embedding: the share of the bar applying this view takes (image encoders).
  virtual double applyShare() const { return 0; }

  // Trains on run.table and keeps what embedding needs. Undefined vectors when the table lacks the
  // view's inputs, with a decision saying why.
  virtual ViewVectors train(ViewRun &run, double &cursor) = 0;

  // Whether the model has this view (trained here, or read from a file).
  virtual bool inModel() const = 0;
  // Refuses, before any view is applied, a table this model cannot embed for this view.
  virtual void checkApplicable(const ViewRun &) const {}
  // Whether `table` holds this view's inputs, and what they are called in "no ... were given".
  virtual bool given(const RegionTable &table) const = 0;
  virtual const char *inputs() const = 0;
  // The view of another table with the trained parts (given(table) is true).
  virtual ViewVectors apply(ViewRun &run) = 0;

  // Appends what decides the stages and batches this view runs on `table`: per region, how many
  // inputs it holds (chips, photos, words, statistics), then any table-wide size. Equal tables give
  // equal counts, so the ranks of a data-parallel job can check that they were given one job.
  virtual void countInputs(const RegionTable &table, std::vector<std::size_t> &counts) const = 0;

  // Fills this view's part of ModelInfo after training (trained: what train() returned).
  virtual void describe(ModelInfo &info, const ViewVectors &trained) const = 0;
  // Whether the further trainings of an ensemble use the first training's parameters for this
  // view, which the model file then stores once, with the first training.
  virtual bool sharedWithFirstTraining() const { return false; }
  // Its trained parts in the model file; load() reads what save() wrote, given the file's info.
  virtual void save(torch::serialize::OutputArchive &) const {}
  virtual void load(torch::serialize::InputArchive &, ModelInfo &) {}

 private:
  View view_;
};

// For countInputs: the size of rows[r] for every region r (0 past the end of rows).
template <class Rows>
void countPerRegion(const Rows &rows, std::size_t regions, std::vector<std::size_t> &counts) {
  for (std::size_t r = 0; r < regions; ++r) counts.push_back(r < rows.size() ? rows[r].size() : 0);
}

using Views = std::array<std::unique_ptr<RegionView>, kViewCount>;

// One untrained instance of every view, in catalogue order (registry.cpp).
Views makeViews();

}  // namespace musecl::train
