# The man pages: rdssecure(1) and librdssecure(3) are written in scdoc
# (docs/man/*.scd); the API's pages are written from the public headers'
# comments by docs/man/api_pages.py, one page per group of functions, and
# one line per function points `man FUNCTION` at its group's page. scdoc
# turns them into roff; they install under share/man.
find_program(RDSS_SCDOC scdoc)
find_package(Python3 COMPONENTS Interpreter)
if(NOT RDSS_SCDOC OR NOT Python3_Interpreter_FOUND)
  message(STATUS "man pages: not built (they need scdoc and python3: the Debian packages scdoc, python3)")
  return()
endif()
set(RDSS_MAN_DIR "${CMAKE_CURRENT_BINARY_DIR}/man")
# The pages carry the release's date (CHANGELOG.md's newest entry), not the
# build's: the same sources give the same pages.
file(STRINGS "${PROJECT_SOURCE_DIR}/CHANGELOG.md" release_line REGEX "^## [0-9.]+ \\([0-9-]+\\)" LIMIT_COUNT 1)
string(REGEX REPLACE ".*\\(([0-9-]+)\\).*" "\\1" release_date "${release_line}")
execute_process(COMMAND date -u -d "${release_date}" +%s OUTPUT_VARIABLE release_epoch
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE no_date)
if(no_date)
  set(release_epoch 0)
endif()
set(man_sources "${PROJECT_SOURCE_DIR}/docs/man")
execute_process(COMMAND ${Python3_EXECUTABLE} "${man_sources}/api_pages.py" --list
                OUTPUT_VARIABLE api_pages OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
set(man_outputs "${RDSS_MAN_DIR}/man1/rdssecure.1" "${RDSS_MAN_DIR}/man3/librdssecure.3")
foreach(page IN LISTS api_pages)
  list(APPEND man_outputs "${RDSS_MAN_DIR}/man3/${page}.3")
endforeach()
file(GLOB public_headers "${PROJECT_SOURCE_DIR}/include/rdssecure/*.h")
add_custom_command(
  OUTPUT ${man_outputs}
  COMMAND ${CMAKE_COMMAND} -E make_directory "${RDSS_MAN_DIR}/man1" "${RDSS_MAN_DIR}/man3" "${RDSS_MAN_DIR}/scd"
  COMMAND ${Python3_EXECUTABLE} "${man_sources}/api_pages.py" "${PROJECT_SOURCE_DIR}/include" "${RDSS_MAN_DIR}/scd"
  COMMAND ${CMAKE_COMMAND} -E env SOURCE_DATE_EPOCH=${release_epoch}
          ${CMAKE_COMMAND} -DSCDOC=${RDSS_SCDOC} -DSOURCES=${man_sources} -DOUT=${RDSS_MAN_DIR}
          -P "${PROJECT_SOURCE_DIR}/cmake/man_render.cmake"
  DEPENDS "${man_sources}/rdssecure.1.scd" "${man_sources}/librdssecure.3.scd" "${man_sources}/api_pages.py"
          "${PROJECT_SOURCE_DIR}/CHANGELOG.md"
          "${PROJECT_SOURCE_DIR}/cmake/man_render.cmake" ${public_headers}
  COMMENT "Writing the man pages"
  VERBATIM)
add_custom_target(rdssecure_man ALL DEPENDS ${man_outputs})
install(DIRECTORY "${RDSS_MAN_DIR}/man1" DESTINATION ${CMAKE_INSTALL_MANDIR} COMPONENT cli)
install(DIRECTORY "${RDSS_MAN_DIR}/man3" DESTINATION ${CMAKE_INSTALL_MANDIR} COMPONENT dev)
