// awsdl-cluster: the EC2 cluster workflow (DESIGN.md workflows 1 and 2) as a command line.
#include "cluster_words.hpp"
#include "program.hpp"

int main(int argc, char** argv) {
  return awsdl_cli::run_program(argc, argv,
                                {.name = "awsdl-cluster",
                                 .summary = "GPU clusters on AWS for distributed training",
                                 .step_words = awsdl_cluster::step_words});
}
