# cmake -DSOURCE_DIR=... -DOUTPUT=... -DVERSION=... [-DCOMMIT=...] -P awsdl_build_info.cmake
# Writes OUTPUT (see AwsdlBuildInfo.cmake) when its content changes.
if(NOT COMMIT)
  set(COMMIT unknown)
  find_program(git_program git)
  if(git_program)
    # Only a checkout whose top is the source directory itself: a source archive unpacked
    # inside some other repository must not report that repository's commit.
    execute_process(COMMAND ${git_program} -C ${SOURCE_DIR} rev-parse --show-toplevel
                    RESULT_VARIABLE rc OUTPUT_VARIABLE top ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0)
      file(REAL_PATH "${top}" top)
      file(REAL_PATH "${SOURCE_DIR}" src)
    endif()
    if(rc EQUAL 0 AND top STREQUAL src)
      execute_process(COMMAND ${git_program} -C ${SOURCE_DIR} rev-parse HEAD
                      RESULT_VARIABLE rc OUTPUT_VARIABLE head ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
      if(rc EQUAL 0 AND head MATCHES "^[0-9a-f]+$")
        set(COMMIT ${head})
        execute_process(COMMAND ${git_program} -C ${SOURCE_DIR} status --porcelain --untracked-files=no
                        RESULT_VARIABLE rc OUTPUT_VARIABLE changes ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
        if(rc EQUAL 0 AND NOT changes STREQUAL "")
          string(APPEND COMMIT "-dirty")
        endif()
      endif()
    endif()
  endif()
endif()
if(NOT COMMIT MATCHES "^[A-Za-z0-9._+-]+$")
  message(FATAL_ERROR "AWSDL_GIT_COMMIT: letters, digits and . _ + - only, not '${COMMIT}'")
endif()
set(text "// Written by cmake/awsdl_build_info.cmake at build time: do not edit.\n#pragma once\n#define AWSDL_BUILD_VERSION \"${VERSION}\"\n#define AWSDL_BUILD_COMMIT \"${COMMIT}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUTPUT} "${text}")
endif()
