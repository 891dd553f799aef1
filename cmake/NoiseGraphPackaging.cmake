# Everything an installed NoiseGraph has besides programs, libraries and plugins:
# licence, documentation (share/doc/noisegraph, named by `noisegraph --help`), the plugin
# example, the editor's desktop entry and icon, man pages made from --help, the private
# library folder's RPATHs, and a CPack DEB package (scripts/test-deb.sh installs it into a
# clean Debian 12 root).

# --- documentation ------------------------------------------------------------------------
install(FILES LICENSE README.md DESTINATION ${NOISEGRAPH_INSTALL_DOCDIR})
install(FILES models/clip/LICENSE DESTINATION ${NOISEGRAPH_INSTALL_DOCDIR} RENAME LICENSE.clip)
install(DIRECTORY docs/ DESTINATION ${NOISEGRAPH_INSTALL_DOCDIR})
# The out-of-tree plugin example, ready to copy and build against the installed SDK.
install(DIRECTORY sdk/examples/ DESTINATION ${NOISEGRAPH_INSTALL_DOCDIR}/examples)

# --- desktop entry and icon ---------------------------------------------------------------
install(FILES packaging/noisegraph-editor.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES packaging/noisegraph.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)

# --- private library folder ---------------------------------------------------------------
# libnoisegraph_host_core has no installed headers, so it lives in lib/noisegraph/ and the
# programs find it through their RPATH (libnoisegraph_sdk stays in lib/ for plugins).
set_target_properties(noisegraph_host_core PROPERTIES INSTALL_RPATH "$ORIGIN/..")
foreach(program noisegraph noisegraph-editor noisegraph-plugin-probe noisegraph-sd-check)
  if(TARGET ${program})
    set_target_properties(${program} PROPERTIES
      INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR};$ORIGIN/../${NOISEGRAPH_INSTALL_PRIVATE_LIBDIR}")
  endif()
endforeach()

# --- man pages from --help ----------------------------------------------------------------
find_program(HELP2MAN help2man)
if(HELP2MAN AND TARGET noisegraph AND TARGET noisegraph-editor)
  set(man_dir ${CMAKE_BINARY_DIR}/man)
  add_custom_command(
    OUTPUT ${man_dir}/noisegraph.1 ${man_dir}/noisegraph-editor.1
    COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${HELP2MAN} -DOUT=${man_dir}
      -DCLI=$<TARGET_FILE:noisegraph> -DEDITOR=$<TARGET_FILE:noisegraph-editor>
      -DDOCDIR=/usr/${NOISEGRAPH_INSTALL_DOCDIR}
      -P ${PROJECT_SOURCE_DIR}/cmake/man-pages.cmake
    DEPENDS noisegraph noisegraph-editor ${PROJECT_SOURCE_DIR}/cmake/man-pages.cmake
    COMMENT "Man pages from --help (help2man)")
  add_custom_target(noisegraph_man ALL DEPENDS ${man_dir}/noisegraph.1 ${man_dir}/noisegraph-editor.1)
  install(FILES ${man_dir}/noisegraph.1 ${man_dir}/noisegraph-editor.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man pages (Debian package help2man)")
endif()

# --- DEB package ---------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME noisegraph)
set(CPACK_PACKAGE_VENDOR "NoiseGraph")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Node graphs for diffusion image generation: editor, CLI, SDK, small models")
set(CPACK_PACKAGE_DESCRIPTION "NoiseGraph loads nodes from plugins, runs graphs saved as YAML headless (noisegraph)\n or in a Qt editor (noisegraph-editor), and ships small Fashion-MNIST models and an SDK\n for out-of-tree plugins.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "NoiseGraph authors <noisegraph@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/noisegraph")
# Library dependencies come from the binaries (dpkg-shlibdeps); OpenBLAS is only dlopened
# by LibTorch's BLAS alternative, so it is named (35x faster matmul than reference BLAS).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIVATE_LIBDIR ${CMAKE_INSTALL_PREFIX}/${NOISEGRAPH_INSTALL_PRIVATE_LIBDIR})
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libopenblas0-openmp, libtorch-dev, libboost-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "dataset-fashion-mnist")
# The test-only plugin, benchmarks and test programs are never installed; headers and the
# CMake package are, so the DEB also serves plugin authors.
include(CPack)
