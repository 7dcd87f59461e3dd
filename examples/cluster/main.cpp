// awsdl-cluster: the EC2 cluster workflow (DESIGN.md workflows 1 and 2) as a command line.
#include "cluster_words.hpp"
#include "program.hpp"

int main(int argc, char** argv) {
  return awsdl_cli::run_program(argc, argv,
                                {.name = "awsdl-cluster",
                                 .summary = "GPU clusters on AWS for distributed training",
                                 .step_words = awsdl_cluster::step_words,
                                 // The state directories of cluster_cli.cpp (target_from): a
                                 // cluster's holds its hostfile and known_hosts.
                                 .local_names = awsdl_cli::Program::LocalNames{
                                     .flag = "name", .dir = "~/.awsdl", .markers = {"hostfile", "known_hosts"}}});
}
