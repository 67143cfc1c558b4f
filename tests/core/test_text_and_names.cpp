#include "musecl/geo/field_names.h"
#include "musecl/geo/text_tokens.h"

#include <gtest/gtest.h>

TEST(TextTokens, LowerCasesAndSplitsOnPunctuationKeepingUtf8Words) {
  EXPECT_EQ(musecl::tokenize("Joe's Diner - 24/7!"), (std::vector<std::string>{"joe", "s", "diner", "24", "7"}));
  EXPECT_EQ(musecl::tokenize("Café Ñandú"), (std::vector<std::string>{"café", "Ñandú"}))
      << "non-ASCII bytes are kept as they are";
  EXPECT_TRUE(musecl::tokenize("  ,;  ").empty());
  EXPECT_EQ(musecl::categoryToken("  Fast Food  "), "fast_food");
  EXPECT_EQ(musecl::categoryToken("fast_food"), "fast_food");
}

TEST(FieldNames, SanitisedUniqueAndCaseInsensitive) {
  std::set<std::string> taken{"region_id", "cat_shop"};
  EXPECT_EQ(musecl::uniqueFieldName("cat_", "Bar & Grill", taken), "cat_bar_grill");
  EXPECT_EQ(musecl::uniqueFieldName("cat_", "bar grill", taken), "cat_bar_grill_2");
  EXPECT_EQ(musecl::uniqueFieldName("cat_", "SHOP", taken), "cat_shop_2") << "collides with an existing field";
  EXPECT_EQ(musecl::uniqueFieldName("cat_", "", taken), "cat_x");
  EXPECT_EQ(musecl::uniqueFieldName("cat_", "日本", taken), "cat_x_2");
  EXPECT_LE(musecl::uniqueFieldName("cat_", std::string(200, 'a'), taken).size(), 54u);
}
