# awsdl::version()'s build facts (src/core/version.cpp): the project's version and the git
# commit, in a header written into the build directory. The commit is read again at every build
# (a commit or checkout needs no re-configure); the header is rewritten only when it changes,
# so an unchanged commit recompiles nothing.
set(AWSDL_GIT_COMMIT "" CACHE STRING
  "Commit awsdl::version() reports (default: HEAD of the source checkout, else \"unknown\")")
set(AWSDL_BUILD_INFO_DIR ${PROJECT_BINARY_DIR}/build_info)
set(AWSDL_BUILD_INFO_HEADER ${AWSDL_BUILD_INFO_DIR}/awsdl_build_info.hpp)
set(awsdl_build_info_args -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUTPUT=${AWSDL_BUILD_INFO_HEADER}
    -DVERSION=${PROJECT_VERSION} -DCOMMIT=${AWSDL_GIT_COMMIT})
# Once now, so that the header exists before the first build's dependency scan.
execute_process(COMMAND ${CMAKE_COMMAND} ${awsdl_build_info_args} -P ${CMAKE_CURRENT_LIST_DIR}/awsdl_build_info.cmake)
add_custom_target(awsdl_build_info
  COMMAND ${CMAKE_COMMAND} ${awsdl_build_info_args} -P ${CMAKE_CURRENT_LIST_DIR}/awsdl_build_info.cmake
  BYPRODUCTS ${AWSDL_BUILD_INFO_HEADER}
  VERBATIM)
add_dependencies(awsdl_core awsdl_build_info)
# On version.cpp alone: the other objects' flags stay as they were (and ccache's hits with them).
get_target_property(awsdl_object_sources awsdl_core SOURCES)
list(FILTER awsdl_object_sources INCLUDE REGEX "/core/version\\.cpp$")
get_target_property(awsdl_object_dir awsdl_core SOURCE_DIR)
set_source_files_properties(${awsdl_object_sources} DIRECTORY ${awsdl_object_dir}
  PROPERTIES INCLUDE_DIRECTORIES ${AWSDL_BUILD_INFO_DIR})

# Another target that includes awsdl_build_info.hpp (awsdl-unpack's --version).
function(awsdl_use_build_info target)
  add_dependencies(${target} awsdl_build_info)
  target_include_directories(${target} PRIVATE ${AWSDL_BUILD_INFO_DIR})
endfunction()
