# The library's layers, bottom first, and what each may use (src/CMakeLists.txt builds them;
# CheckLayerIncludes.cmake checks every include against this table at build time).
set(AWSDL_LAYERS base transport signing protocol services session remote workflows)
set(AWSDL_LAYER_USES_base)
set(AWSDL_LAYER_USES_transport base)
set(AWSDL_LAYER_USES_signing base transport)
set(AWSDL_LAYER_USES_protocol base transport signing)
set(AWSDL_LAYER_USES_services base transport signing protocol)
set(AWSDL_LAYER_USES_session base transport signing protocol services)
set(AWSDL_LAYER_USES_remote base)
set(AWSDL_LAYER_USES_workflows base transport signing protocol services session remote)

# The layer of each public header: by folder of include/awsdl (a file name where one folder
# spans two layers, or for the headers at the top of include/awsdl).
set(AWSDL_PUBLIC_base core export.hpp)
set(AWSDL_PUBLIC_transport http testing)
set(AWSDL_PUBLIC_signing auth config.hpp)
set(AWSDL_PUBLIC_protocol)
set(AWSDL_PUBLIC_services autoscaling cloudformation ec2 ecr efs logs s3 sagemaker/sagemaker.hpp ssm sts)
set(AWSDL_PUBLIC_session)
set(AWSDL_PUBLIC_remote ssh)
set(AWSDL_PUBLIC_workflows cluster mpi registry stage sagemaker/follow.hpp awsdl.hpp)
