#include "docs.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>

#include <awsdl/version.hpp>

namespace awsdl_cli {

namespace {

// ---- what a flag's value is, for the completions ----------------------------------------

enum class ValueKind { kNone, kFile, kDir, kWords, kLocalNames };

struct FlagValue {
  ValueKind kind = ValueKind::kNone;
  std::vector<std::string> words;  // kWords
};

bool is_lower_word(const std::string& w) {
  if (w.empty()) return false;
  for (char c : w)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return false;
  return true;
}

// From the value's name in the help: FILE, KEY, PATH -> files; DIR -> directories;
// "text|json" -> those words (the lower-case ones of "N|auto|any"); the program's local names.
FlagValue value_of(const FlagSpec& f, const Program& program) {
  FlagValue v;
  const std::string& n = f.value_name;
  if (program.local_names && f.name == program.local_names->flag) {
    v.kind = ValueKind::kLocalNames;
  } else if (n == "DIR") {
    v.kind = ValueKind::kDir;
  } else if (n == "FILE" || n == "KEY" || n == "PATH" || n == "MANIFEST") {
    v.kind = ValueKind::kFile;
  } else if (n.find('|') != std::string::npos) {
    std::size_t start = 0;
    while (start <= n.size()) {
      std::size_t bar = n.find('|', start);
      std::string w = n.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
      if (is_lower_word(w)) v.words.push_back(w);
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    if (!v.words.empty()) v.kind = ValueKind::kWords;
  }
  return v;
}

std::string joined(const std::vector<std::string>& words, const std::string& sep = " ") {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : sep) + w;
  return s;
}

std::string function_name(const std::string& program) {
  std::string s = "_" + program;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

// Single-quoted for sh: 'it'\''s'.
std::string sh_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// "~/.awsdl" -> ~/".awsdl": the tilde expands, the rest is quoted.
std::string sh_home_path(const std::string& dir) {
  if (dir.rfind("~/", 0) == 0) return "~/" + sh_quote(dir.substr(2));
  return sh_quote(dir);
}

std::string names_function(const Program& p) { return function_name(p.name) + "_local_names"; }

// A shell function printing the local names, one per line. zsh: a glob that matches nothing is
// an error there unless it says (N).
std::string local_names_function(const Program& p, bool zsh) {
  const auto& ln = *p.local_names;
  std::string test;
  for (const auto& m : ln.markers) test += std::string(test.empty() ? "" : " || ") + "-e $d/" + m;
  if (test.empty()) test = "-d $d";
  return "# The names of " + p.name + "'s local state directories (" + ln.dir + "/NAME), for --" + ln.flag +
         ".\n" + names_function(p) + "() {\n  local d\n  for d in " + sh_home_path(ln.dir) +
         (zsh ? "/*(N/); do" : "/*/; do")+"\n    d=${d%/}\n    [[ " + test + " ]] && printf '%s\\n' \"${d##*/}\"\n  done\n  return 0\n}\n";
}

// ---- bash -------------------------------------------------------------------------------

std::string bash_flag_cases(const Program& p, const Parser& parser, const std::string& indent) {
  std::vector<std::string> files, dirs, opaque;
  std::string cases;
  for (const auto& f : parser.flags()) {
    if (f.value_name.empty()) continue;
    auto v = value_of(f, p);
    const std::string flag = "--" + f.name;
    switch (v.kind) {
      case ValueKind::kFile: files.push_back(flag); break;
      case ValueKind::kDir: dirs.push_back(flag); break;
      case ValueKind::kWords:
        cases += indent + "  " + flag + ") COMPREPLY=($(compgen -W " + sh_quote(joined(v.words)) +
                 " -- \"$cur\")); return 0 ;;\n";
        break;
      case ValueKind::kLocalNames:
        cases += indent + "  " + flag + ") COMPREPLY=($(compgen -W \"$(" + names_function(p) +
                 ")\" -- \"$cur\")); return 0 ;;\n";
        break;
      case ValueKind::kNone: opaque.push_back(flag); break;
    }
  }
  if (!files.empty())
    cases += indent + "  " + joined(files, "|") + ") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;\n";
  if (!dirs.empty())
    cases += indent + "  " + joined(dirs, "|") + ") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")); return 0 ;;\n";
  // A value nobody can guess (a region, a count): offer nothing rather than flags.
  if (!opaque.empty()) cases += indent + "  " + joined(opaque, "|") + ") return 0 ;;\n";
  if (cases.empty()) return {};
  return indent + "case $prev in\n" + cases + indent + "esac\n";
}

std::vector<std::string> flag_words(const Parser& parser) {
  std::vector<std::string> words;
  for (const auto& f : parser.flags()) words.push_back("--" + f.name);
  words.push_back("--help");
  return words;
}

// ---- zsh --------------------------------------------------------------------------------

// Inside a single-quoted _arguments spec: the description in [...] and the message after ':'
// are backslash-escaped for _arguments, then the whole for the shell.
std::string zsh_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

std::string zsh_arguments(const Program& p, const Parser& parser, const std::string& indent) {
  std::string s = indent + "_arguments -s -S \\\n";
  for (const auto& f : parser.flags()) {
    std::string spec = std::string(f.repeatable ? "*" : "") + "--" + f.name;
    spec += f.value_name.empty() ? "" : "=";
    spec += "[" + zsh_escape(f.help) + "]";
    if (!f.value_name.empty()) {
      auto v = value_of(f, p);
      std::string action;
      switch (v.kind) {
        case ValueKind::kFile: action = "_files"; break;
        case ValueKind::kDir: action = "_files -/"; break;
        case ValueKind::kWords: action = "(" + joined(v.words) + ")"; break;
        case ValueKind::kLocalNames: action = "{compadd -- ${(f)\"$(" + names_function(p) + ")\"}}"; break;
        case ValueKind::kNone: action = " "; break;
      }
      spec += ":" + zsh_escape(f.value_name) + ":" + action;
    }
    s += indent + "  " + sh_quote(spec) + " \\\n";
  }
  s += indent + "  '(- *)'{-h,--help}'[print the flags and examples]' \\\n";
  s += indent + "  '*:file:_files'\n";
  return s;
}

// ---- roff -------------------------------------------------------------------------------

// Text for a roff line: backslashes and minus signs escaped (a '-' left alone may print as a
// hyphen that a copied command line then lacks), a leading '.' or '\'' made literal.
std::string roff(const std::string& text) {
  std::string o;
  for (char c : text) {
    if (c == '\\') o += "\\e";
    else if (c == '-') o += "\\-";
    else o += c;
  }
  if (!o.empty() && (o[0] == '.' || o[0] == '\'')) o = "\\&" + o;
  return o;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Lines kept as they are (usage lines, examples, a paragraph laid out for a terminal).
std::string roff_verbatim(const std::vector<std::string>& lines) {
  std::string s = ".PP\n.RS 4\n.nf\n";
  for (const auto& l : lines) s += (l.empty() ? std::string("\\&") : roff(l)) + "\n";
  return s + ".fi\n.RE\n";
}

std::string roff_flags(const Parser& parser) {
  std::string s;
  for (const auto& f : parser.flags()) {
    s += ".TP\n\\fB\\-\\-" + roff(f.name) + "\\fR";
    if (!f.value_name.empty()) s += " \\fI" + roff(f.value_name) + "\\fR";
    s += "\n" + roff(f.help) + (f.repeatable ? " (repeatable)" : "") + "\n";
  }
  s += ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nprint the flags and examples\n";
  return s;
}

// A command's part of the page: labelled paragraphs under the command's .SS heading.
std::string roff_parser(const Parser& parser) {
  std::string s;
  if (!parser.usages().empty()) s += ".PP\n.B Usage:\n" + roff_verbatim(parser.usages());
  s += ".PP\n.B Flags:\n" + roff_flags(parser);
  if (!parser.examples().empty()) s += ".PP\n.B Examples:\n" + roff_verbatim(parser.examples());
  for (const auto& n : parser.notes()) s += roff_verbatim(lines_of(n));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

constexpr const char* kOtherPrograms[] = {"awsdl-cluster", "awsdl-sagemaker", "awsdl-vm", "awsdl-whoami"};

}  // namespace

std::vector<CommandDoc> describe(const Program& program) {
  std::vector<CommandDoc> docs;
  if (program.root) {
    docs.push_back({"", program.summary, program.root()});
    return docs;
  }
  for (const auto& c : sorted_commands(program)) docs.push_back({c.name, c.summary, parser_of(c.run)});
  return docs;
}

std::string version_text(const std::string& program_name) {
  const awsdl::VersionInfo v = awsdl::version();
  return program_name + " " + v.version + "\nlibawsdl " + v.version + " (commit " + v.commit + ")\nlibcurl " +
         v.curl + "\nOpenSSL " + v.openssl + "\nlibssh " + v.libssh + "\n";
}

std::string bash_completion(const Program& p) {
  const auto docs = describe(p);
  const std::string fn = function_name(p.name);
  std::string s = "# bash completion for " + p.name + ": generated from its command table by `" + p.name +
                  " --completion bash`; do not edit.\n\n";
  if (p.local_names) s += local_names_function(p, false) + "\n";
  s += fn + "() {\n  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i\n  COMPREPLY=()\n";
  // --flag=VALUE: bash splits the word at '=' (COMP_WORDBREAKS), so the flag is a word further back.
  s += "  if [[ $cur == = ]]; then\n    cur= prev=${COMP_WORDS[COMP_CWORD-1]}\n"
       "  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n    prev=${COMP_WORDS[COMP_CWORD-2]}\n  fi\n";
  if (p.root) {
    const Parser& parser = *docs.front().parser;
    s += "  for ((i = 1; i < COMP_CWORD; i++)); do\n    [[ ${COMP_WORDS[i]} == -- ]] && { compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return 0; }\n  done\n";
    s += bash_flag_cases(p, parser, "  ");
    auto words = flag_words(parser);
    words.push_back("--version");
    s += "  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W " + sh_quote(joined(words)) +
         " -- \"$cur\"))\n  fi\n  return 0\n}\n";
  } else {
    std::vector<std::string> names;
    for (const auto& d : docs) names.push_back(d.name);
    s += "  if ((COMP_CWORD == 1)); then\n    COMPREPLY=($(compgen -W " +
         sh_quote(joined(names) + " --help --version") + " -- \"$cur\"))\n    return 0\n  fi\n";
    // After "--": the remote command's words, which are the user's.
    s += "  for ((i = 2; i < COMP_CWORD; i++)); do\n    [[ ${COMP_WORDS[i]} == -- ]] && { compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return 0; }\n  done\n";
    s += "  local flags=--help\n  case ${COMP_WORDS[1]} in\n";
    for (const auto& d : docs) {
      if (!d.parser) continue;
      s += "    " + d.name + ")\n" + bash_flag_cases(p, *d.parser, "      ");
      s += "      flags=" + sh_quote(joined(flag_words(*d.parser))) + "\n      ;;\n";
    }
    s += "  esac\n  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n  else\n"
         "    compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n  return 0\n}\n";
  }
  s += "complete -F " + fn + " " + p.name + "\n";
  return s;
}

std::string zsh_completion(const Program& p) {
  const auto docs = describe(p);
  const std::string fn = function_name(p.name);
  std::string s = "#compdef " + p.name + "\n# zsh completion for " + p.name +
                  ": generated from its command table by `" + p.name + " --completion zsh`; do not edit.\n\n";
  if (p.local_names) s += local_names_function(p, true) + "\n";
  s += fn + "() {\n";
  if (p.root) {
    std::string args = zsh_arguments(p, *docs.front().parser, "  ");
    // --version beside the parser's flags.
    args.insert(args.find(" \\\n") + 3, "    '(- *)--version[print the versions in use]' \\\n");
    s += args + "}\n";
  } else {
    s += "  local curcontext=$curcontext state line ret=1\n  typeset -A opt_args\n"
         "  _arguments -C \\\n"
         "    '(- *)--version[print the versions in use]' \\\n"
         "    '(- *)'{-h,--help}'[print the commands]' \\\n"
         "    '1:command:->command' \\\n"
         "    '*::argument:->argument' && ret=0\n"
         "  case $state in\n    command)\n      local -a commands\n      commands=(\n";
    for (const auto& d : docs) s += "        " + sh_quote(zsh_escape(d.name) + ":" + d.summary) + "\n";
    s += "      )\n      _describe -t commands command commands && ret=0\n      ;;\n    argument)\n"
         "      curcontext=${curcontext%:*:*}:" + p.name + "-$words[1]:\n      case $words[1] in\n";
    for (const auto& d : docs) {
      if (!d.parser) continue;
      std::string args = zsh_arguments(p, *d.parser, "          ");
      args.insert(args.size() - 1, " && ret=0");
      s += "        " + d.name + ")\n" + args + "          ;;\n";
    }
    s += "      esac\n      ;;\n  esac\n  return ret\n}\n";
  }
  s += "\n" + fn + " \"$@\"\n";
  return s;
}

std::string man_page(const Program& p) {
  const auto docs = describe(p);
  const awsdl::VersionInfo v = awsdl::version();
  std::string s = ".\\\" Generated from " + p.name + "'s command table by `" + p.name + " --man`; do not edit.\n";
  s += ".TH " + roff(upper(p.name)) + " 1 \"\" \"awsdl " + roff(v.version) + "\" \"User Commands\"\n";
  s += ".SH NAME\n" + roff(p.name) + " \\- " + roff(p.summary) + "\n";
  s += ".SH SYNOPSIS\n";
  if (p.root) {
    for (const auto& u : docs.front().parser->usages()) s += ".nf\n" + roff(u) + "\n.fi\n.br\n";
  } else {
    s += ".B " + roff(p.name) + "\n" + roff(p.usage) + "\n.br\n";
  }
  s += ".B " + roff(p.name) + " \\-\\-help\n.br\n.B " + roff(p.name) + " \\-\\-version\n";
  s += ".SH DESCRIPTION\n" + roff(p.name) + " \\- " + roff(p.summary) + ".\n";
  if (p.root) {
    s += ".SH OPTIONS\n" + roff_flags(*docs.front().parser) + ".TP\n\\fB\\-\\-version\\fR\n" +
         "print the version of " + roff(p.name) + " and the versions of the libraries it runs with\n";
    const Parser& parser = *docs.front().parser;
    if (!parser.examples().empty()) s += ".SH EXAMPLES\n" + roff_verbatim(parser.examples());
    for (const auto& n : parser.notes()) s += roff_verbatim(lines_of(n));
  } else {
    if (!p.more.empty()) s += roff_verbatim(lines_of(p.more));
    s += ".SH COMMANDS\n";
    for (const auto& d : docs) {
      s += ".SS \"" + roff(p.name) + " " + roff(d.name) + "\"\n" + roff(d.summary) + ".\n";
      if (d.parser) s += roff_parser(*d.parser);
    }
  }
  s += ".SH EXIT STATUS\n.TP\n0\nsuccess\n.TP\n1\nthe operation failed\n.TP\n2\n"
       "a usage or configuration error (nothing was done)\n";
  s += ".SH ENVIRONMENT\nCredentials, region and endpoint come from the standard AWS chain, as for the AWS CLI:\n"
       ".TP\n.B AWS_ACCESS_KEY_ID\\fR, \\fBAWS_SECRET_ACCESS_KEY\\fR, \\fBAWS_SESSION_TOKEN\n"
       "static credentials (otherwise the profile, SSO, web identity or the instance role)\n"
       ".TP\n.B AWS_PROFILE\nthe profile in the shared config and credentials files (\\-\\-profile)\n"
       ".TP\n.B AWS_REGION\\fR, \\fBAWS_DEFAULT_REGION\nthe region (\\-\\-region)\n"
       ".TP\n.B AWS_ENDPOINT_URL\\fR, \\fBAWS_ENDPOINT_URL_\\fISERVICE\\fR\n"
       "send the calls to another endpoint (\\-\\-endpoint\\-url)\n"
       ".TP\n.B AWS_CONFIG_FILE\\fR, \\fBAWS_SHARED_CREDENTIALS_FILE\n"
       "the shared files (default ~/.aws/config and ~/.aws/credentials)\n"
       ".TP\n.B AWS_CA_BUNDLE\nthe certificate authorities to trust, a PEM file\n";
  if (p.local_names)
    s += ".SH FILES\n.TP\n.I " + roff(p.local_names->dir) + "/NAME\nthe local files of " + roff(p.name) +
         " for NAME (\\-\\-" + roff(p.local_names->flag) + " NAME)\n";
  s += ".SH SEE ALSO\n";
  std::string see;
  for (const char* other : kOtherPrograms)
    if (p.name != other) see += (see.empty() ? "" : ",\n") + std::string(".BR ") + roff(other) + " (1)";
  s += see + ",\n.BR aws (1)\n";
  return s;
}

std::optional<int> program_option(int argc, char** argv, const Program& program) {
  if (argc < 2) return std::nullopt;
  const std::string what = argv[1];
  std::string text;
  if (what == "--version") {
    text = version_text(program.name);
  } else if (what == "--man") {
    text = man_page(program);
  } else if (what == "--completion") {
    const std::string shell = argc > 2 ? argv[2] : "";
    if (shell == "bash") text = bash_completion(program);
    else if (shell == "zsh") text = zsh_completion(program);
    else return report(awsdl::Error::invalid_argument("BadFlag", "--completion needs a shell: bash or zsh"));
  } else {
    return std::nullopt;
  }
  std::fputs(text.c_str(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
}

}  // namespace awsdl_cli
