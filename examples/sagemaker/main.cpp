// awsdl-sagemaker: the SageMaker training workflow (DESIGN.md workflow 3) as a command line:
// stage data, push an image to ECR without Docker, train, follow, stop.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "command.hpp"

namespace {
void usage(std::FILE* out) {
  auto cmds = awsdl_cli::commands();
  std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::fprintf(out, "awsdl-sagemaker - SageMaker training jobs from data, a docker-save tarball and flags\n\n"
                    "Usage: awsdl-sagemaker COMMAND [FLAGS...]\n\nCommands:\n");
  for (const auto& c : cmds) std::fprintf(out, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
  std::fprintf(out, "\nA typical run:\n"
                    "  awsdl-sagemaker stage --channel train data/coco s3://team-bucket/maskrcnn/\n"
                    "  awsdl-sagemaker push-image image.tar --repository maskrcnn --tag v1\n"
                    "  awsdl-sagemaker train --job-name maskrcnn-1 --image maskrcnn:v1 \\\n"
                    "      --role arn:aws:iam::123456789012:role/SageMakerRole --instance-count 2 \\\n"
                    "      --input train=s3://team-bucket/maskrcnn/train/ --output-path s3://team-bucket/output/ \\\n"
                    "      --mpi-processes-per-host 8 --wait\n"
                    "\nRun 'awsdl-sagemaker COMMAND --help' for a command's flags and examples.\n");
}
}  // namespace

int main(int argc, char** argv) {
  return awsdl_cli::dispatch(argc, argv, usage);
}
