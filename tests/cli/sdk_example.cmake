# Installs the build into a temporary prefix, builds sdk/examples/invert against it as an
# out-of-tree project, and runs a graph with the result through the installed noisegraph.
# Inputs: SOURCE_DIR, BINARY_DIR, WORK_DIR, GENERATOR.
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
# The plugin goes to the per-user folder an installed noisegraph searches.
set(ENV{XDG_DATA_HOME} ${WORK_DIR}/xdg)
file(COPY ${WORK_DIR}/build/invert.so DESTINATION ${WORK_DIR}/xdg/noisegraph/plugins)

# The installed program must find its installed plugins (not the build tree's).
find_program(noisegraph noisegraph PATHS ${prefix}/bin NO_DEFAULT_PATH REQUIRED)
step(${noisegraph} plugins)
if(NOT step_output MATCHES "${WORK_DIR}/xdg/noisegraph/plugins/invert.so")
  message(FATAL_ERROR "installed noisegraph did not load invert from the per-user plugin folder:\n${step_output}")
endif()
if(NOT step_output MATCHES "${prefix}/[^\n]*/noisegraph/plugins/image.so")
  message(FATAL_ERROR "installed noisegraph did not load its installed plugins:\n${step_output}")
endif()
if(step_output MATCHES "${BINARY_DIR}/plugins")
  message(FATAL_ERROR "installed noisegraph loaded plugins from the build tree:\n${step_output}")
endif()

# The example graph needs nothing but installed nodes and the example plugin.
step(${noisegraph} run ${SOURCE_DIR}/sdk/examples/invert/invert.yaml --output-dir ${WORK_DIR}/out --quiet)
find_program(python3 python3 REQUIRED)
step(${python3} ${SOURCE_DIR}/tests/cli/check_inverted_png.py ${WORK_DIR}/out/inverted_00001.png)
message(STATUS "out-of-tree plugin built and ran: ${step_output}")

# The installed copy of the example builds too (share/doc/noisegraph/examples).
step(${CMAKE_COMMAND} -S ${prefix}/share/doc/noisegraph/examples/invert -B ${WORK_DIR}/build-installed -G ${GENERATOR}
     -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build-installed)
