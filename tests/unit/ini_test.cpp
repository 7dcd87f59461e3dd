#include "util/ini.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace awsdl::internal {
namespace {

IniFile parse_ok(std::string_view text) {
  auto r = parse_ini(text, "t.ini");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : IniFile{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_ini(text, "t.ini");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  return r.error().message;
}

TEST(Ini, SectionsKeysAndLineNumbers) {
  auto f = parse_ok("# top comment\n[a]\nx = 1\n; another\n  y:two words  \n\n[b c]\nz=\n");
  ASSERT_EQ(f.sections.size(), 2u);
  EXPECT_EQ(f.sections[0].name, "a");
  EXPECT_EQ(f.sections[0].line, 2);
  ASSERT_EQ(f.sections[0].entries.size(), 2u);
  EXPECT_EQ(f.sections[0].entries[0].key, "x");
  EXPECT_EQ(f.sections[0].entries[0].value, "1");
  EXPECT_EQ(f.sections[0].entries[0].line, 3);
  EXPECT_EQ(f.sections[0].entries[1].key, "y");
  EXPECT_EQ(f.sections[0].entries[1].value, "two words");
  EXPECT_EQ(f.sections[0].entries[1].line, 5);
  const IniSection* b = f.find("b c");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->line, 7);
  ASSERT_NE(b->find("z"), nullptr);
  EXPECT_EQ(b->find("z")->value, "");
  EXPECT_EQ(f.where(5), "t.ini:5");
}

TEST(Ini, InlineCommentsOnlyAfterWhitespace) {
  auto f = parse_ok("[s]\na = value # comment\nb = a#b\nc = x ;c\nd = url=http://h/#frag\n");
  const auto& s = f.sections[0];
  EXPECT_EQ(s.find("a")->value, "value");
  EXPECT_EQ(s.find("b")->value, "a#b");
  EXPECT_EQ(s.find("c")->value, "x");
  EXPECT_EQ(s.find("d")->value, "url=http://h/#frag");  // split at the first '='
}

TEST(Ini, QuotedValues) {
  auto f = parse_ok("[s]\na = \"keep # this; and  spaces \"  # comment\nb = 'lit\\n'\nc = \"esc \\\" \\\\ \\t\\n\"\n");
  const auto& s = f.sections[0];
  EXPECT_EQ(s.find("a")->value, "keep # this; and  spaces ");
  EXPECT_EQ(s.find("b")->value, "lit\\n");
  EXPECT_EQ(s.find("c")->value, "esc \" \\ \t\n");
}

TEST(Ini, BomCrlfAndNoFinalNewline) {
  auto f = parse_ok("\xEF\xBB\xBF[s]\r\nk = v\r\nlast = end");
  const auto& s = f.sections[0];
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.find("k")->value, "v");
  EXPECT_EQ(s.find("last")->value, "end");
  EXPECT_EQ(s.find("last")->line, 3);
  EXPECT_TRUE(parse_ok("").sections.empty());
}

TEST(Ini, ErrorsNameFileAndLine) {
  EXPECT_EQ(parse_error("k = v\n"), "t.ini:1: key 'k' is outside any section (add a [section] line above it)");
  EXPECT_EQ(parse_error("[s]\n\njust words\n"), "t.ini:3: expected 'key = value', '[section]' or a comment");
  EXPECT_EQ(parse_error("[s\n"), "t.ini:1: missing ']' after the section name");
  EXPECT_EQ(parse_error("[]\n"), "t.ini:1: empty section name");
  EXPECT_EQ(parse_error("[s] x\n"), "t.ini:1: unexpected text after the section header");
  EXPECT_EQ(parse_error("[s]\na=1\n[t]\n[s]\n"), "t.ini:4: section [s] appears again (first at line 1)");
  EXPECT_EQ(parse_error("[s]\na=1\na=2\n"), "t.ini:3: key 'a' appears again in [s] (first at line 2)");
  EXPECT_EQ(parse_error("[s]\n= v\n"), "t.ini:2: missing key before '='");
  EXPECT_EQ(parse_error("[s]\na b = v\n"), "t.ini:2: malformed key 'a b'");
  EXPECT_EQ(parse_error("[s]\na = \"open\n"), "t.ini:2: unterminated quoted value (missing closing \")");
  EXPECT_EQ(parse_error("[s]\na = 'open\n"), "t.ini:2: unterminated quoted value (missing closing ')");
  EXPECT_EQ(parse_error("[s]\na = \"x\" y\n"), "t.ini:2: unexpected text after the closing quote");
  EXPECT_EQ(parse_error("[s]\na = \"\\q\"\n"), "t.ini:2: unknown escape \\q in a quoted value (use \\\\ for a backslash)");
}

// The dialect of files holding shell commands (awsdl-vm's vm.ini): values as written, and
// indented lines continuing the value above.
TEST(Ini, VerbatimValuesWithContinuationLines) {
  const IniOptions vm{.verbatim_values = true, .continuation_lines = true};
  auto r = parse_ini("[run]\ncommand = echo \"a # b\"; x=1 ;y\nquoted = 'kept'\nurl:x = y\n"
                     "[setup]\ncommands =\n    apt-get update\n    # a comment inside\n\tpip install x\n"
                     "\nafter = 1\nempty =\n",
                     "vm.ini", vm);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const IniSection* run = r->find("run");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->find("command")->value, "echo \"a # b\"; x=1 ;y");
  EXPECT_EQ(run->find("quoted")->value, "'kept'");
  ASSERT_NE(run->find("url:x"), nullptr);  // only '=' separates
  EXPECT_EQ(run->find("url:x")->value, "y");
  const IniSection* setup = r->find("setup");
  ASSERT_NE(setup, nullptr);
  EXPECT_EQ(setup->find("commands")->value, "apt-get update\npip install x");
  EXPECT_EQ(setup->find("commands")->line, 6);
  EXPECT_EQ(setup->find("after")->value, "1");
  EXPECT_EQ(setup->find("empty")->value, "");

  auto error = [&](std::string_view text) {
    auto e = parse_ini(text, "vm.ini", vm);
    EXPECT_FALSE(e.ok());
    if (e.ok()) return std::string();
    EXPECT_EQ(e.error().kind, ErrorKind::kParse);
    return e.error().message;
  };
  // A blank line ends a value: an indented line after it continues nothing.
  EXPECT_EQ(error("[s]\na = 1\n\n  more\n"), "vm.ini:4: indented line outside a value (continuation lines follow a key)");
  EXPECT_EQ(error("[s]\n  a = 1\n"), "vm.ini:2: indented line outside a value (continuation lines follow a key)");
  EXPECT_EQ(error("[s]\nnot ini\n"), "vm.ini:2: expected key = value, [section] or a comment");
  EXPECT_EQ(error("[s]\na = 1\na = 2\n"), "vm.ini:3: key 'a' appears again in [s] (first at line 2)");
  // The default dialect is unchanged: indented lines are lines of their own, quotes and comments are read.
  auto plain = parse_ok("[s]\na = 'q' # c\n  b = 2\n");
  EXPECT_EQ(plain.sections[0].find("a")->value, "q");
  EXPECT_EQ(plain.sections[0].find("b")->value, "2");
}

TEST(Ini, ReadsFilesAndReportsMissingOnes) {
  std::string path = std::string(AWSDL_TEST_STATE_DIR) + "/ini_test.ini";
  {
    std::ofstream out(path);
    out << "[s]\nk = v\n";
  }
  auto f = read_ini_file(path);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(f->source, path);
  EXPECT_EQ(f->sections[0].find("k")->value, "v");
  std::remove(path.c_str());

  auto missing = read_ini_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
}

}  // namespace
}  // namespace awsdl::internal
