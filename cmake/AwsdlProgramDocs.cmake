# Each example program's man page and bash and zsh completions, written at build time by the
# program itself (--man, --completion bash|zsh: examples/common/docs.hpp) from the command table
# and parsers its --help prints, and installed with the programs (the awsdl-tools package):
#   share/man/man1/PROGRAM.1
#   share/bash-completion/completions/PROGRAM     (bash-completion loads it on first use)
#   share/zsh/vendor-completions/_PROGRAM         (Debian's zsh fpath; share/zsh/site-functions
#                                                  for another prefix)
set(AWSDL_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(AWSDL_ZSH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
else()
  set(AWSDL_ZSH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()
add_custom_target(awsdl_docs ALL)

function(awsdl_program_docs program)
  set(dir ${AWSDL_DOCS_DIR})
  set(outputs ${dir}/man/${program}.1 ${dir}/bash/${program} ${dir}/zsh/_${program})
  set(run ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${program}>)
  set(script -P ${PROJECT_SOURCE_DIR}/cmake/awsdl_run_to_file.cmake)  # after the -D: cmake reads them in order
  add_custom_command(OUTPUT ${outputs}
    COMMAND ${run} -DOUTPUT=${dir}/man/${program}.1 -DARGS=--man ${script}
    COMMAND ${run} -DOUTPUT=${dir}/bash/${program} "-DARGS=--completion$<SEMICOLON>bash" ${script}
    COMMAND ${run} -DOUTPUT=${dir}/zsh/_${program} "-DARGS=--completion$<SEMICOLON>zsh" ${script}
    DEPENDS ${program} ${PROJECT_SOURCE_DIR}/cmake/awsdl_run_to_file.cmake
    COMMENT "Generating the man page and completions of ${program}"
    VERBATIM)
  add_custom_target(${program}-docs DEPENDS ${outputs})
  add_dependencies(awsdl_docs ${program}-docs)
  install(FILES ${dir}/man/${program}.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT tools)
  install(FILES ${dir}/bash/${program} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          COMPONENT tools)
  install(FILES ${dir}/zsh/_${program} DESTINATION ${AWSDL_ZSH_COMPLETION_DIR} COMPONENT tools)
endfunction()
