// The check that a call is refused with a message naming what was wrong: the pattern of every
// bad-input test, written once.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace musecl::test_support {

// Expects `call` to throw `Exception` with a message that contains every text in `named`; a failure
// saying `failure` when it returns.
template <typename Exception = std::invalid_argument, typename Call>
void expectRefused(Call &&call, const std::vector<std::string> &named, const std::string &failure) {
  try {
    call();
  } catch (const Exception &e) {
    const std::string message = e.what();
    for (const std::string &text : named) EXPECT_NE(message.find(text), std::string::npos) << message;
    return;
  }
  ADD_FAILURE() << failure;
}

}  // namespace musecl::test_support
