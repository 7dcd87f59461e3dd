include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Components, one per Debian package (cmake/AwsdlPackage.cmake): libawsdl (the shared library),
# dev (headers, the .so link, the static archive, the CMake and pkg-config files) and tools
# (the programs, awsdl-unpack, their man pages and completions: CMAKE_INSTALL_DEFAULT_COMPONENT_NAME
# in the top-level CMakeLists.txt).
install(TARGETS awsdl EXPORT awsdl-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libawsdl NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT libawsdl
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/awsdl DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(FILES ${PROJECT_BINARY_DIR}/include/awsdl/export.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/awsdl
        COMPONENT dev)
install(EXPORT awsdl-targets NAMESPACE awsdl:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/awsdl COMPONENT dev)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/awsdl-config.cmake.in
  ${PROJECT_BINARY_DIR}/awsdl-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/awsdl)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/awsdl-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/awsdl-config.cmake ${PROJECT_BINARY_DIR}/awsdl-config-version.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/awsdl COMPONENT dev)

# pkg-config: awsdl.pc beside the CMake package. Relocatable (the prefix is found from the
# file's own place, ${pcfiledir}), so that a tree unpacked anywhere (dpkg -x) works as installed.
# The static flavour names what libawsdl.a needs at link time (pkg-config --static) and the
# define its headers need; the shared library carries its dependencies itself. libcurl and
# libarchive are named in Libs.private rather than Requires.private: their own .pc files list,
# for a fully static link, libraries their Debian -dev packages do not install (nghttp2, rtmp,
# ldap, acl, lz4...), while libawsdl.a links their shared libraries like any program does.
file(RELATIVE_PATH AWSDL_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" AWSDL_PC_TO_PREFIX "${AWSDL_PC_TO_PREFIX}")
if(BUILD_SHARED_LIBS)
  set(AWSDL_PC_REQUIRES_PRIVATE "")
  set(AWSDL_PC_LIBS_PRIVATE "-pthread")
  set(AWSDL_PC_CFLAGS "")
else()
  set(AWSDL_PC_REQUIRES_PRIVATE "openssl zlib fmt pugixml libssh libisal libcrcutil")
  set(AWSDL_PC_LIBS_PRIVATE "-lcurl -larchive -pthread")
  set(AWSDL_PC_CFLAGS " -DAWSDL_STATIC_DEFINE")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/awsdl.pc.in ${PROJECT_BINARY_DIR}/awsdl.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/awsdl.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
