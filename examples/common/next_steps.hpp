#pragma once
// Rendering an error's next steps (awsdl::Error::next_steps) in a program's own words: the
// library says "remove cluster c1" as a fact ({"cluster.remove", "c1"}); awsdl-cluster says
// "remove it with `awsdl-cluster delete --name c1`". Header-only (the standard library and the
// public awsdl headers), so that tests can check a program's words without running it.

#include <string>
#include <vector>

#include <awsdl/config.hpp>
#include <awsdl/core/error.hpp>

namespace awsdl_cli {

/// A program's words for one next step; "" for a step it has no words for.
using StepWords = std::string (*)(const awsdl::NextStep& step);

/// Words every example program shares: steps its common flags take care of.
inline std::string common_step_words(const awsdl::NextStep& step) {
  if (step.action == awsdl::next_step::kSetRegion)
    return step.detail.empty() ? "name a region with --region REGION (or AWS_REGION, or the profile's region)"
                               : "use --region " + step.detail;
  return {};
}

/// One step in the program's words (then the common ones); a step nobody has words for is
/// shown as the library names it, rather than lost.
inline std::string step_text(const awsdl::NextStep& step, StepWords words) {
  std::string text = words ? words(step) : std::string();
  if (text.empty()) text = common_step_words(step);
  if (text.empty()) text = step.action + (step.detail.empty() ? "" : " " + step.detail);
  return text;
}

/// What a program prints for an error: "error: [CONTEXT: ]CODE: MESSAGE", then one
/// "next: ..." line per next step. Every line ends with '\n'.
inline std::string render_error(const awsdl::Error& error, const std::string& context, StepWords words) {
  std::string out = "error: " + (context.empty() ? "" : context + ": ") + error.to_string() + "\n";
  for (const auto& step : error.next_steps) out += "next: " + step_text(step, words) + "\n";
  return out;
}

/// A progress line with its next steps: "LINE: STEP; STEP" (a stopped worker: how to start it).
inline std::string with_steps(const std::string& line, const std::vector<awsdl::NextStep>& steps, StepWords words) {
  std::string out = line;
  for (std::size_t i = 0; i < steps.size(); ++i) out += (i == 0 ? ": " : "; ") + step_text(steps[i], words);
  return out;
}

}  // namespace awsdl_cli
