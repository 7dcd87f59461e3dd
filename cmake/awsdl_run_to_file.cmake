# cmake -DPROGRAM=... -DARGS=a;b -DOUTPUT=... -P awsdl_run_to_file.cmake
# Runs PROGRAM ARGS with its standard output into OUTPUT; a failure fails the build and leaves
# no half-written OUTPUT behind.
get_filename_component(dir ${OUTPUT} DIRECTORY)
file(MAKE_DIRECTORY ${dir})
execute_process(COMMAND ${PROGRAM} ${ARGS} OUTPUT_FILE ${OUTPUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT}.tmp)
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: exit ${rc}")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
