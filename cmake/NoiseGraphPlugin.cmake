# noisegraph_add_plugin(<name> SOURCES a.cpp b.cpp ... [LIBRARIES extra...])
#
# Builds a node plugin as a MODULE library named <name>.so with hidden visibility,
# linked against the NoiseGraph SDK, and installs it into the plugin folder. Used both
# inside the source tree and by out-of-tree plugins after find_package(NoiseGraph).
function(noisegraph_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "noisegraph_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  if(TARGET noisegraph_sdk)
    target_link_libraries(${name} PRIVATE noisegraph_sdk noisegraph_warnings ${ARG_LIBRARIES})
  else()
    target_link_libraries(${name} PRIVATE NoiseGraph::sdk ${ARG_LIBRARIES})
  endif()
  # At least C++17 (the SDK headers need it); a newer CMAKE_CXX_STANDARD still applies.
  target_compile_features(${name} PRIVATE cxx_std_17)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "${name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_definitions(${name} PRIVATE QT_NO_KEYWORDS NOISEGRAPH_PLUGIN_NAME="${name}")
  if(DEFINED NOISEGRAPH_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${NOISEGRAPH_PLUGIN_OUTPUT_DIR})
  endif()
  if(DEFINED NOISEGRAPH_INSTALL_PLUGIN_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION ${NOISEGRAPH_INSTALL_PLUGIN_DIR})
  endif()
endfunction()
