include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS awsdl EXPORT awsdl-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/awsdl DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/awsdl/export.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/awsdl)
install(EXPORT awsdl-targets NAMESPACE awsdl:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/awsdl)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/awsdl-config.cmake.in
  ${PROJECT_BINARY_DIR}/awsdl-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/awsdl)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/awsdl-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/awsdl-config.cmake ${PROJECT_BINARY_DIR}/awsdl-config-version.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/awsdl)
