# SPDX-License-Identifier: BSD-2-Clause
# cmake -DHDR_DIR=include/flowtap -DOUT=flowtap.map -P cmake/exports.cmake
#
# Writes the linker version script of libflowtap: exactly the functions
# declared FT_EXPORT in the public headers, listed one by one. Generated at
# build time from the headers, so a new public function is exported by
# declaring it there (tests/e2e/abi_exports.sh checks the result); anything
# else, test hooks included, stays local.
file(GLOB headers "${HDR_DIR}/*.h")
list(SORT headers)
set(names "")
foreach(h ${headers})
  file(READ "${h}" text)
  # "FT_EXPORT <type> name(": everything up to the first '(' of the
  # declaration, then the identifier just before it.
  string(REGEX MATCHALL "FT_EXPORT[^;(#]*\\(" decls "${text}")
  foreach(d ${decls})
    string(REGEX MATCH "(ft_[a-z0-9_]+)[ \t\r\n]*\\($" m "${d}")
    if(CMAKE_MATCH_1)
      list(APPEND names "${CMAKE_MATCH_1}")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES names)
list(SORT names)
set(map "/* Generated from include/flowtap/*.h by cmake/exports.cmake. */\nFLOWTAP_0 {\n\tglobal:\n")
foreach(n ${names})
  string(APPEND map "\t\t${n};\n")
endforeach()
string(APPEND map "\tlocal:\n\t\t*;\n};\n")
# Rewritten only when it changes, so the library is relinked only then.
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL map)
  file(WRITE "${OUT}" "${map}")
endif()
