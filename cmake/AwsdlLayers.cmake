# The library's layers, bottom first (DESIGN.md's table), the folders of src/ each holds, and
# what each may use. src/CMakeLists.txt builds one object library per layer whose include path
# holds only the folders of that layer and of those it uses; CheckLayerIncludes.cmake checks
# every include, public headers too, against this table at build time.
set(AWSDL_LAYERS core util http auth protocol services config remote workflows)

set(AWSDL_LAYER_FOLDERS_core core)
set(AWSDL_LAYER_FOLDERS_util util)
set(AWSDL_LAYER_FOLDERS_http http)
set(AWSDL_LAYER_FOLDERS_auth auth)
set(AWSDL_LAYER_FOLDERS_protocol protocol)
set(AWSDL_LAYER_FOLDERS_services autoscaling cloudformation ec2 ecr efs fsx logs s3 sagemaker servicequotas ssm sts)
set(AWSDL_LAYER_FOLDERS_config config)
set(AWSDL_LAYER_FOLDERS_remote ssh mpi)
set(AWSDL_LAYER_FOLDERS_workflows stage registry cluster vm)

set(AWSDL_LAYER_USES_core)
set(AWSDL_LAYER_USES_util core)
set(AWSDL_LAYER_USES_http core util)
set(AWSDL_LAYER_USES_auth core util http)
set(AWSDL_LAYER_USES_protocol core util http auth)
set(AWSDL_LAYER_USES_services core util http auth protocol)
set(AWSDL_LAYER_USES_config core util http auth protocol services)
set(AWSDL_LAYER_USES_remote core util)
set(AWSDL_LAYER_USES_workflows core util http auth protocol services config remote)

# The layer of each public header, by its folder under include/awsdl (or its file name, for
# the headers directly in include/awsdl).
set(AWSDL_PUBLIC_core core export.hpp version.hpp)
set(AWSDL_PUBLIC_util)
set(AWSDL_PUBLIC_http http testing)
set(AWSDL_PUBLIC_auth auth config.hpp)
set(AWSDL_PUBLIC_protocol)
set(AWSDL_PUBLIC_services autoscaling cloudformation ec2 ecr efs fsx logs s3 sagemaker servicequotas ssm sts)
set(AWSDL_PUBLIC_config)
set(AWSDL_PUBLIC_remote ssh mpi)
set(AWSDL_PUBLIC_workflows stage registry cluster vm awsdl.hpp)
