# scdoc over every page source: cmake -DSCDOC=... -DSOURCES=docs/man -DOUT=build/man -P man_render.cmake
function(render source target)
  execute_process(COMMAND "${SCDOC}" INPUT_FILE "${source}" OUTPUT_FILE "${target}" RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "scdoc failed on ${source}")
  endif()
endfunction()
render("${SOURCES}/rdssecure.1.scd" "${OUT}/man1/rdssecure.1")
render("${SOURCES}/librdssecure.3.scd" "${OUT}/man3/librdssecure.3")
file(GLOB api "${OUT}/scd/*.3.scd")
foreach(source IN LISTS api)
  get_filename_component(name "${source}" NAME_WLE) # rdss_config.3
  render("${source}" "${OUT}/man3/${name}")
endforeach()
# `man rdss_config_new` finds the page of its group
file(STRINGS "${OUT}/scd/aliases.txt" aliases)
foreach(line IN LISTS aliases)
  string(REPLACE " " ";" fields "${line}")
  list(GET fields 0 function)
  list(GET fields 1 page)
  if(NOT function STREQUAL page) # rdss_probe() is on its own group's page
    file(WRITE "${OUT}/man3/${function}.3" ".so man3/${page}.3\n")
  endif()
endforeach()
