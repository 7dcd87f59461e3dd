#include "command.hpp"

#include "cli.hpp"

namespace awsdl_cli {

std::vector<Command>& commands() {
  static std::vector<Command> registered;
  return registered;
}

int dispatch(int argc, char** argv, void (*usage)(std::FILE* out)) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    usage(stderr);
    return kExitUsage;
  }
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    usage(stdout);
    return kExitOk;
  }
  for (const auto& c : commands()) {
    if (c.name == args[0]) return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::fprintf(stderr, "error: unknown command '%s'\n\n", args[0].c_str());
  usage(stderr);
  return kExitUsage;
}

}  // namespace awsdl_cli
