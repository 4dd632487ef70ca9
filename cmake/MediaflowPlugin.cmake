# mediaflow_add_plugin(NAME <gst plugin name> SOURCES <files…> [LIBS <targets…>] [TEST_ONLY])
#
# Builds libmediaflow_<NAME>.so into the build's plugin folder: a normal GStreamer
# plugin (GST_PLUGIN_PATH=<build>/plugins gst-inspect-1.0 works) that also exports
# the Boost.DLL descriptor declared in <mediaflow/plugin_api.h>.
# TEST_ONLY (plugins/_template): built with everything else, so it keeps compiling against
# the SDK, but into <build>/test-plugins, where only its tests load it; never installed.
function(mediaflow_add_plugin)
  cmake_parse_arguments(P "TEST_ONLY" "NAME" "SOURCES;LIBS" ${ARGN})
  set(target mediaflow_${P_NAME})
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE mediaflow_plugin_api mediaflow_sdk PkgConfig::GST ${P_LIBS})
  target_compile_definitions(${target} PRIVATE
    PACKAGE="mediaflow" VERSION="${PROJECT_VERSION}" GST_PACKAGE_NAME="mediaflow"
    GST_PACKAGE_ORIGIN="https://example.invalid/mediaflow")
  set_target_properties(${target} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${MEDIAFLOW_PLUGIN_BUILD_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    # Installed as lib/mediaflow/plugins/*.so beside lib/libmediaflow_sdk.so.
    INSTALL_RPATH "$ORIGIN/../..")
  if(P_TEST_ONLY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/test-plugins)
    set_property(GLOBAL APPEND PROPERTY MEDIAFLOW_TEST_ONLY_PLUGINS ${target})
    return()
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION lib/mediaflow/plugins)
  set_property(GLOBAL APPEND PROPERTY MEDIAFLOW_PLUGINS ${target})
endfunction()
