# Writes noisegraph.1 (with every command's --help as its own section) and
# noisegraph-editor.1 with help2man. Inputs: HELP2MAN, OUT, CLI, EDITOR, DOCDIR (installed docs).
file(MAKE_DIRECTORY ${OUT})
set(include ${OUT}/noisegraph.h2m)
file(WRITE ${include} "[COMMANDS]\n")
foreach(command run validate nodes describe plugins serve worker)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env NOISEGRAPH_HELP_DOC_DIR=${DOCDIR} ${CLI} ${command} --help
    OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    continue()
  endif()
  # Lines starting with '.' or "'" would be read as roff requests.
  string(REGEX REPLACE "\n([.'])" "\n\\\\&\\1" help "${help}")
  file(APPEND ${include} ".SS \"noisegraph ${command}\"\n.nf\n${help}.fi\n")
endforeach()
file(APPEND ${include} "[SEE ALSO]\nnoisegraph-editor(1); the documentation in ${DOCDIR} (cli.md, graph-format.md, plugins.md).\n")
set(env ${CMAKE_COMMAND} -E env --unset=DISPLAY --unset=WAYLAND_DISPLAY NOISEGRAPH_PLUGIN_PATH=
    NOISEGRAPH_HELP_DOC_DIR=${DOCDIR})
execute_process(COMMAND ${env} ${HELP2MAN} --no-info --no-discard-stderr --section=1
    --name=run,\ validate\ and\ inspect\ NoiseGraph\ node\ graphs --include=${include}
    --output=${OUT}/noisegraph.1 ${CLI} RESULT_VARIABLE rc1)
execute_process(COMMAND ${env} ${HELP2MAN} --no-info --no-discard-stderr --section=1
    --name=visual\ editor\ for\ NoiseGraph\ node\ graphs --output=${OUT}/noisegraph-editor.1 ${EDITOR}
    RESULT_VARIABLE rc2)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc1}, ${rc2})")
endif()
