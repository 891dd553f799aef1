# Installs the build into a temporary prefix, builds sdk/examples/invert against it as an
# out-of-tree project, and runs a graph with the result through the installed noisegraph.
# Inputs: SOURCE_DIR, BINARY_DIR, WORK_DIR, GENERATOR, TESTING_PLUGIN.
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(step_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

step(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${prefix})
step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/sdk/examples/invert -B ${WORK_DIR}/build -G ${GENERATOR}
     -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
step(${CMAKE_COMMAND} --install ${WORK_DIR}/build --prefix ${prefix})

# The installed program must find its installed plugins (not the build tree's).
find_program(noisegraph noisegraph PATHS ${prefix}/bin NO_DEFAULT_PATH REQUIRED)
step(${noisegraph} plugins)
if(NOT step_output MATCHES "${prefix}/[^\n]*/noisegraph/plugins/invert.so")
  message(FATAL_ERROR "installed noisegraph did not load the installed invert plugin:\n${step_output}")
endif()
if(step_output MATCHES "${BINARY_DIR}/plugins")
  message(FATAL_ERROR "installed noisegraph loaded plugins from the build tree:\n${step_output}")
endif()

# The test-only plugin is not installed; bring it in with --plugins.
file(COPY ${TESTING_PLUGIN} DESTINATION ${WORK_DIR}/testing_plugin)
step(${noisegraph} run ${SOURCE_DIR}/sdk/examples/invert/invert.yaml
     --plugins ${WORK_DIR}/testing_plugin --output-dir ${WORK_DIR}/out --quiet)
file(READ ${WORK_DIR}/out/mean.txt mean)
if(NOT mean MATCHES "^0\\.75")
  message(FATAL_ERROR "expected the inverted grey 0.25 to average 0.75, got: ${mean}")
endif()
message(STATUS "out-of-tree plugin built and ran: mean ${mean}")
