# Turns a PEM file into a C source defining
#   const char <SYMBOL>[]          (the bytes, then a NUL)
#   const size_t <SYMBOL>_len      (the byte count, without the NUL)
# Run at build time: cmake -DINPUT=... -DOUTPUT=... -DSYMBOL=... -P embed_pem.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR byte_count "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# 16 bytes per line keeps the generated file readable in a debugger.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"/* Generated from ${INPUT} by cmake/embed_pem.cmake. Do not edit. */
#include <stddef.h>

const char ${SYMBOL}[] = {
    ${bytes}0x00
};
const size_t ${SYMBOL}_len = ${byte_count};
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
