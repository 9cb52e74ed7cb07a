# The edition of the RDS global bundle the build embeds, from
# certs/rds-global-roots.pins, and the known official editions, from
# certs/editions.txt, written as C (rdss__embedded_edition_*, rdss__known_editions).
# Refuses to configure when certs/rds-global-roots.pem is not the pinned file:
# the library must embed exactly the edition it reports.
#   rdss_embedded_edition(OUTPUT_C)
function(rdss_embedded_edition output)
  set(certs "${PROJECT_SOURCE_DIR}/certs")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               "${certs}/rds-global-roots.pins" "${certs}/rds-global-roots.pem" "${certs}/editions.txt")
  file(STRINGS "${certs}/rds-global-roots.pins" pins REGEX "^(edition|edition-sha256|file-sha256|roots) ")
  foreach(line IN LISTS pins)
    string(REGEX MATCH "^([a-z0-9-]+) (.*)$" _ "${line}")
    set("pin_${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}")
  endforeach()
  # Each value goes into C: its form is checked before anything is written.
  set(form_edition "^[0-9][0-9][0-9][0-9]-[0-9][0-9]$")
  set(form_edition-sha256 "^[0-9a-f]+$")
  set(form_file-sha256 "^[0-9a-f]+$")
  set(form_roots "^[1-9][0-9]*$")
  foreach(key edition edition-sha256 file-sha256 roots)
    if(NOT DEFINED "pin_${key}")
      message(FATAL_ERROR "certs/rds-global-roots.pins has no '${key}' line: rerun certs/update")
    endif()
    string(LENGTH "${pin_${key}}" length)
    if(NOT "${pin_${key}}" MATCHES "${form_${key}}" OR (key MATCHES "sha256" AND NOT length EQUAL 64))
      message(FATAL_ERROR "certs/rds-global-roots.pins: '${key}' is malformed: rerun certs/update")
    endif()
  endforeach()
  file(SHA256 "${certs}/rds-global-roots.pem" actual)
  if(NOT actual STREQUAL pin_file-sha256)
    message(FATAL_ERROR "certs/rds-global-roots.pem (SHA-256 ${actual}) is not the pinned file "
                        "(${pin_file-sha256}): change it only with certs/update")
  endif()

  # Each embedded root's name, in the file's order: a connect by an RDS name
  # finds its region's roots by these names, without decoding the others.
  file(STRINGS "${certs}/rds-global-roots.pins" root_lines REGEX "^root ")
  set(names "")
  set(name_count 0)
  foreach(line IN LISTS root_lines)
    if(NOT line MATCHES "^root [0-9a-f]+ ([A-Za-z0-9 .()-]+)$")
      message(FATAL_ERROR "certs/rds-global-roots.pins: malformed line '${line}': rerun certs/update")
    endif()
    string(APPEND names "    \"${CMAKE_MATCH_1}\",\n")
    math(EXPR name_count "${name_count} + 1")
  endforeach()
  if(NOT name_count EQUAL pin_roots)
    message(FATAL_ERROR "certs/rds-global-roots.pins names ${name_count} roots, not ${pin_roots}: rerun certs/update")
  endif()

  file(STRINGS "${certs}/editions.txt" rows REGEX "^[0-9][0-9][0-9][0-9]-[0-9][0-9] [0-9a-f]+ [0-9]+$")
  # The library reports the pinned edition by date: that date must be a known
  # edition with exactly these bytes, or it would name other bytes official.
  if(NOT "${pin_edition} ${pin_edition-sha256} ${pin_roots}" IN_LIST rows)
    message(FATAL_ERROR "certs/rds-global-roots.pins names edition ${pin_edition} "
                        "(SHA-256 ${pin_edition-sha256}, ${pin_roots} roots), which is not a line of "
                        "certs/editions.txt: add it once its SHA-256 is checked against a published record")
  endif()
  set(known "")
  set(count 0)
  foreach(row IN LISTS rows)
    string(REPLACE " " ";" fields "${row}")
    list(GET fields 0 date)
    list(GET fields 1 sha)
    list(GET fields 2 roots)
    string(APPEND known "    {\"${date}\", \"${sha}\", ${roots}},\n")
    math(EXPR count "${count} + 1")
  endforeach()
  if(count EQUAL 0)
    message(FATAL_ERROR "certs/editions.txt lists no edition")
  endif()

  file(CONFIGURE OUTPUT "${output}" CONTENT
"/* Generated from certs/rds-global-roots.pins and certs/editions.txt by
 * cmake/embedded_edition.cmake. Do not edit. */
#include \"trust/edition.h\"

const char rdss__embedded_edition_date[] = \"${pin_edition}\";
const char rdss__embedded_edition_sha256[] = \"${pin_edition-sha256}\";

const rdss__known_edition rdss__known_editions[] = {
${known}};
const size_t rdss__known_edition_count = ${count};

const char *const rdss__embedded_root_names[] = {
${names}};
const size_t rdss__embedded_root_name_count = ${name_count};
" @ONLY)
endfunction()
