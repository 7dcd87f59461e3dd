// awsdl-sagemaker: the SageMaker training workflow (DESIGN.md workflow 3) as a command line:
// stage data, push an image to ECR without Docker, train, follow, stop.
#include "program.hpp"

int main(int argc, char** argv) {
  return awsdl_cli::run_program(
      argc, argv,
      {.name = "awsdl-sagemaker",
       .summary = "SageMaker training jobs from data, a docker-save tarball and flags",
       .more = "A typical run:\n"
               "  awsdl-sagemaker stage --channel train data/coco s3://team-bucket/maskrcnn/\n"
               "  awsdl-sagemaker push-image image.tar --repository maskrcnn --tag v1\n"
               "  awsdl-sagemaker train --job-name maskrcnn-1 --image maskrcnn:v1 \\\n"
               "      --role arn:aws:iam::123456789012:role/SageMakerRole --instance-count 2 \\\n"
               "      --input train=s3://team-bucket/maskrcnn/train/ --output-path s3://team-bucket/output/ \\\n"
               "      --mpi-processes-per-host 8 --wait\n"});
}
