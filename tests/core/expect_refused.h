// The check that a call is refused with a message naming what was wrong: the pattern of every
// bad-input test, written once.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace musecl::test_support {

// The message of the `Exception` that `call` throws, or nothing (after a failure saying `failure`)
// when it returns.
template <typename Exception = std::invalid_argument, typename Call>
std::optional<std::string> refusalOf(Call &&call, const std::string &failure) {
  try {
    call();
  } catch (const Exception &e) {
    return std::string(e.what());
  }
  ADD_FAILURE() << failure;
  return std::nullopt;
}

// Expects `call` to throw `Exception` with a message that contains every text in `named`.
template <typename Exception = std::invalid_argument, typename Call>
void expectRefused(Call &&call, const std::vector<std::string> &named, const std::string &failure) {
  const std::optional<std::string> message = refusalOf<Exception>(std::forward<Call>(call), failure);
  if (!message) return;
  for (const std::string &text : named) EXPECT_NE(message->find(text), std::string::npos) << *message;
}

}  // namespace musecl::test_support
