// The POI-word skip-gram on toy sentences: co-occurring words end up closer, and the same seed gives
// the same vectors.
#include "musecl/learn/views/poi/skipgram.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace musecl;

TEST(SkipGram, CoOccurringWordsEndUpCloserThanWordsThatNeverMeet) {
  std::vector<std::vector<std::string>> sentences;
  for (int i = 0; i < 200; ++i) {
    sentences.push_back({"coffee", "espresso", "cafe", "latte", "pastry"});
    sentences.push_back({"bank", "atm", "finance", "office", "money"});
  }
  SkipGram model;
  SkipGramOptions o;
  o.dimension = 16;
  o.epochs = 5;
  model.train(sentences, o);
  EXPECT_EQ(model.vocabularySize(), 10u);
  EXPECT_GT(model.cosine("coffee", "espresso"), model.cosine("coffee", "bank") + 0.3);
  EXPECT_GT(model.cosine("atm", "money"), model.cosine("atm", "latte") + 0.3);
  std::vector<float> mean;
  EXPECT_TRUE(model.meanVector({"coffee", "unknownword"}, mean));
  EXPECT_FALSE(model.meanVector({"unknownword"}, mean));
  SkipGram again;
  again.train(sentences, o);
  EXPECT_EQ(again.vectors(), model.vectors()) << "same seed, same vectors";
}
