# Debian packages with CPack, from a build configured for /usr:
#   cmake -S . -B build-deb -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DAWSDL_BUILD_TESTS=OFF -DAWSDL_BUILD_BENCH=OFF
#   cmake --build build-deb && (cd build-deb && cpack -G DEB)
# makes libawsdl (the shared library), libawsdl-dev (headers, CMake and pkg-config files) and
# awsdl-tools (the programs, awsdl-unpack, man pages, completions). Their dependencies on the
# Debian packages of the libraries they link are computed by dpkg-shlibdeps (dpkg-dev); their
# dependencies on each other come from the components' own.
set(AWSDL_PACKAGE_CONTACT "libawsdl maintainers <maintainers@awsdl.invalid>" CACHE STRING
  "Maintainer field of the Debian packages (Name <address>)")
set(CPACK_PACKAGE_NAME awsdl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${AWSDL_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "distributed deep learning on AWS from inside a C++ program")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_GENERATOR DEB)
# Without the debug information (RelWithDebInfo): a tenth of the size.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL libawsdl dev)
if(AWSDL_BUILD_EXAMPLES)
  list(APPEND CPACK_COMPONENTS_ALL tools)
endif()

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The programs need libawsdl.so.0, which no installed package holds yet: dpkg-shlibdeps reads
# it from the build tree, and the dependency on it is the component's (below).
get_target_property(awsdl_library_dir awsdl BINARY_DIR)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${awsdl_library_dir})
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_LIBAWSDL_PACKAGE_NAME libawsdl)
set(CPACK_DEBIAN_LIBAWSDL_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIBAWSDL_PACKAGE_GENERATE_SHLIBS ON)
# Stager::unstage_on copies awsdl-unpack (in awsdl-tools) to the host it extracts on.
set(CPACK_DEBIAN_LIBAWSDL_PACKAGE_RECOMMENDS awsdl-tools)
set(CPACK_COMPONENT_LIBAWSDL_DESCRIPTION
  "distributed deep learning on AWS from inside a C++ program\n libawsdl brings up GPU clusters on EC2, stages data in S3, reaches every node over SSH,\n launches MPI training and runs SageMaker training jobs, as calls from a C++20 program.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libawsdl-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS libawsdl)
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "distributed deep learning on AWS from C++ (development files)\n The headers of libawsdl and its CMake (find_package(awsdl)) and pkg-config (awsdl) files.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME awsdl-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
set(CPACK_COMPONENT_TOOLS_DEPENDS libawsdl)
# The dashboards serve Chart.js from this package's file (not found by dpkg-shlibdeps: a file,
# not a library); cpp-httplib (libcpp-httplib0.11) is a shared library and is found.
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "libjs-chart.js")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
  "GPU clusters, SageMaker training jobs and VMs on AWS from the command line\n awsdl-cluster, awsdl-sagemaker, awsdl-vm and awsdl-whoami, with their man pages and\n bash and zsh completions (the cluster and training job dashboards among their commands), and awsdl-unpack, which libawsdl copies to the nodes it extracts on.")

include(CPack)
