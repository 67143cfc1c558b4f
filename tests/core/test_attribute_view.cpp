// The region-attribute view on planted data: fields the regions carry become a view whose
// embedding separates what the fields separate, its scaling is kept in the model, and another
// table is refused by name when it lacks a field or breaks the scaling.
#include "learning_test_support.h"
#include "musecl/learn/training.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace musecl;
using namespace musecl::test_support;

namespace {

const ImageLoader kNoImages = [](const std::string &, int, std::vector<std::uint8_t> &) { return false; };

// 40 regions in two planted groups: "jobs" a count near 1000 in group A and near 10 in group B
// (no negative value: log-scaled), "slope" signed noise (kept as it is). Region 39 has a NULL.
RegionTable attributeCity(std::uint32_t seed) {
  RegionTable t;
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  t.attributes.names = {"jobs", "slope"};
  for (int i = 0; i < 40; ++i) {
    t.ids.push_back("r" + std::to_string(i));
    t.centroidX.push_back(100.0 * i);
    t.centroidY.push_back(0);
    const double jobs = std::round((i % 2 == 0 ? 1000 : 10) * std::exp(0.2 * g(rng)));
    t.attributes.values.push_back(i == 39 ? std::vector<double>() : std::vector<double>{jobs, g(rng)});
  }
  return t;
}

// 40 regions in the same two groups, with 24 count fields as POI category counts are: 18 common
// ones near 1000 in group A and near 10 in group B, and 6 rare ones, each 0 except in one region.
RegionTable manyFieldsCity(std::uint32_t seed) {
  RegionTable t;
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  for (int f = 0; f < 24; ++f) t.attributes.names.push_back((f < 18 ? "common_" : "rare_") + std::to_string(f));
  for (int i = 0; i < 40; ++i) {
    t.ids.push_back("r" + std::to_string(i));
    t.centroidX.push_back(100.0 * i);
    t.centroidY.push_back(0);
    std::vector<double> row;
    for (int f = 0; f < 24; ++f)
      row.push_back(f < 18 ? std::round((i % 2 == 0 ? 1000 : 10) * std::exp(0.3 * g(rng)))
                           : (i == 5 * (f - 18) + 1 ? 3.0 : 0.0));
    t.attributes.values.push_back(row);
  }
  return t;
}

double distance(const RegionEmbeddings &e, std::size_t a, std::size_t b) {
  double d = 0;
  for (int k = 0; k < e.dimension; ++k) {
    const double x = e.values[a * e.dimension + k] - e.values[b * e.dimension + k];
    d += x * x;
  }
  return std::sqrt(d);
}

// The mean distance between regions of the same planted group (even or odd index) over that
// between regions of different groups, among the first `regions` regions.
double withinOverBetween(const RegionEmbeddings &e, std::size_t regions) {
  double within = 0, between = 0;
  int nWithin = 0, nBetween = 0;
  for (std::size_t a = 0; a < regions; ++a)
    for (std::size_t b = a + 1; b < regions; ++b)
      (a % 2 == b % 2 ? (within += distance(e, a, b), ++nWithin) : (between += distance(e, a, b), ++nBetween));
  return (within / nWithin) / (between / nBetween);
}

void expectSameValues(const RegionEmbeddings &again, const RegionEmbeddings &first) {
  ASSERT_EQ(again.values.size(), first.values.size());
  for (std::size_t k = 0; k < first.values.size(); ++k)
    ASSERT_NEAR(again.values[k], first.values[k], 1e-5) << "value " << k;
}

}  // namespace

TEST(AttributeView, ThePlantedGroupsAreSeparatedAndTheModelFileReproducesThem) {
  const RegionTable city = attributeCity(3);
  const std::string model = tempPath("attributes.musecl");
  const TrainingResult r = trainMuseCL(city, tinyOptions(), kNoImages, {}, {}, model);
  EXPECT_TRUE(
      mentions(r, "region attributes: 2 field(s) in 39 of 40 regions, 1 of them (no negative value) as log(1 + value)"))
      << (r.decisions.empty() ? std::string() : r.decisions.back());
  EXPECT_FALSE(mentions(r, "principal components")) << "2 fields are used as they are";
  EXPECT_EQ(r.embeddings.viewsOf(0), "attr");
  EXPECT_EQ(r.embeddings.hasEmbedding[39], 0) << "the region with a NULL has no view, hence no embedding";
  // Within-group distances are smaller than between-group ones, on average over the pairs. "slope",
  // pure noise, is half the view's input, so within-group pairs keep its spread: about 0.55 of the
  // between-group distance where no grouping gives 1.
  EXPECT_LT(withinOverBetween(r.embeddings, 39), 0.7);

  const ModelInfo info = readModelInfo(model);
  EXPECT_TRUE(info.attributes);
  EXPECT_EQ(info.attributeNames, (std::vector<std::string>{"jobs", "slope"}));
  // Another table with the fields in another order, and an extra one: read by name, same result.
  RegionTable reordered = city;
  reordered.attributes.names = {"extra", "slope", "jobs"};
  for (auto &row : reordered.attributes.values)
    if (!row.empty()) row = {7.0, row[1], row[0]};
  const TrainingResult again = embedWithModel(model, reordered, kNoImages, DeviceChoice::Cpu, 2, {}, {});
  expectSameValues(again.embeddings, r.embeddings);
  std::remove(model.c_str());
}

TEST(AttributeView, ManyFieldsAreReducedToTheirLeadingComponentsAndTheModelFileKeepsTheProjection) {
  const RegionTable city = manyFieldsCity(5);
  const std::string model = tempPath("attributes_many.musecl");
  const TrainingResult r = trainMuseCL(city, tinyOptions(), kNoImages, {}, {}, model);
  // One component carries the groups; the rare fields each have about one field's variance, and the
  // common fields' noise less: a few components, far fewer than 16.
  const std::string said =
      "region attributes: 24 field(s) in 40 of 40 regions, 24 of them (no negative value) as "
      "log(1 + value), standardised and reduced to their ";
  ASSERT_TRUE(mentions(r, said)) << (r.decisions.empty() ? std::string() : r.decisions.back());
  for (const std::string &d : r.decisions)
    if (d.rfind(said, 0) == 0) {
      const int components = std::stoi(d.substr(said.size()));
      EXPECT_GE(components, 2) << d;
      EXPECT_LE(components, 7) << d;
    }
  EXPECT_LT(withinOverBetween(r.embeddings, 40), 0.7);
  // The model keeps the projection: the same table embeds to the same values, and a table whose
  // rare fields all changed embeds differently (through the training's components, not refitted ones).
  const TrainingResult again = embedWithModel(model, city, kNoImages, DeviceChoice::Cpu, 2, {}, {});
  expectSameValues(again.embeddings, r.embeddings);
  RegionTable quieter = city;
  for (auto &row : quieter.attributes.values) std::fill(row.begin() + 18, row.end(), 0.0);
  const TrainingResult other = embedWithModel(model, quieter, kNoImages, DeviceChoice::Cpu, 2, {}, {});
  EXPECT_NE(other.embeddings.values, r.embeddings.values);
  std::remove(model.c_str());
}

TEST(AttributeView, AnotherTableIsRefusedByNameWhenItBreaksTheModelsFields) {
  const RegionTable city = attributeCity(4);
  const std::string model = tempPath("attributes_refused.musecl");
  trainMuseCL(city, tinyOptions(), kNoImages, {}, {}, model);
  RegionTable missing = city;
  missing.attributes.names = {"jobs", "aspect"};
  expectRefused([&] { embedWithModel(model, missing, kNoImages, DeviceChoice::Cpu, 2, {}, {}); }, {"field 'slope'"},
                "a table without the field 'slope' was embedded");
  RegionTable negative = city;
  negative.attributes.values[5][0] = -3;  // "jobs" had no negative value in training
  expectRefused([&] { embedWithModel(model, negative, kNoImages, DeviceChoice::Cpu, 2, {}, {}); },
                {"region 'r5'", "field 'jobs'"}, "a negative count in a log-scaled field was embedded");
  std::remove(model.c_str());
}
