# Build step of one mutant (tests/mutants/CMakeLists.txt):
#   cmake -DID=<id> -DSOURCE_DIR=<repository> -DMUTANT_DIR=<build/tests/mutants/<id>>
#         -DCOPY=<tests/…,…> [-DMUTANTS=<table, default mutants.cmake beside this>] -P apply.cmake
# Reads mutant ID's entry in the table; MUTANT_DIR/src ← a copy of SOURCE_DIR/src with the one
# occurrence of FROM in FILE replaced by TO; MUTANT_DIR/<c> ← SOURCE_DIR/<c> for each c in COPY.
# FROM must occur in FILE exactly once: otherwise this fails, naming the mutant and the file, and
# nothing is built (never the original in the mutant's place). Files are written only when their
# content changes, so only what a change reaches recompiles.
cmake_minimum_required(VERSION 3.25)
foreach(v ID SOURCE_DIR MUTANT_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "apply.cmake: -D${v}=… missing")
  endif()
endforeach()

# The entry (CMakeLists.txt has validated every entry at configure time).
function(matbp_mutant id file)
  if(id STREQUAL ID)
    cmake_parse_arguments(PARSE_ARGV 2 M "" "BUG;FROM;TO;TEST;SEED" "KILLER")
    set(FILE "${file}" PARENT_SCOPE)
    set(from "${M_FROM}" PARENT_SCOPE)
    set(to "${M_TO}" PARENT_SCOPE)
  endif()
endfunction()
if(NOT DEFINED MUTANTS)
  set(MUTANTS ${CMAKE_CURRENT_LIST_DIR}/mutants.cmake)
endif()
include(${MUTANTS})
if(NOT DEFINED FILE)
  message(FATAL_ERROR "mutant ${ID}: no such entry in ${MUTANTS} (re-run cmake)")
endif()

file(READ "${SOURCE_DIR}/${FILE}" text)
string(FIND "${text}" "${from}" first)
string(FIND "${text}" "${from}" last REVERSE)
# The full message verbatim (NOTICE: not re-wrapped), then the error that stops the build.
if(first EQUAL -1)
  message(NOTICE "mutant ${ID}: its FROM snippet does not occur in ${FILE}; it must occur there exactly "
                 "once. Update its entry in ${MUTANTS} to the file as it is now. The snippet:\n${from}")
  message(FATAL_ERROR "mutant ${ID}: snippet not found in ${FILE}")
endif()
if(NOT first EQUAL last)
  message(NOTICE "mutant ${ID}: its FROM snippet occurs more than once in ${FILE} (at bytes ${first} and "
                 "${last}); it must occur exactly once. Lengthen it in ${MUTANTS}. The snippet:\n${from}")
  message(FATAL_ERROR "mutant ${ID}: snippet found more than once in ${FILE}")
endif()
string(LENGTH "${from}" n)
string(SUBSTRING "${text}" 0 ${first} head)
math(EXPR rest "${first} + ${n}")
string(SUBSTRING "${text}" ${rest} -1 tail)

# The copy of src/: stale files removed, the rest written where changed.
file(GLOB_RECURSE sources RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/src/*")
file(GLOB_RECURSE copied RELATIVE "${MUTANT_DIR}" "${MUTANT_DIR}/src/*")
foreach(rel IN LISTS copied)
  if(NOT rel IN_LIST sources)
    file(REMOVE "${MUTANT_DIR}/${rel}")
  endif()
endforeach()
string(REPLACE "," ";" COPY "${COPY}")
foreach(rel IN LISTS sources COPY)
  if(rel STREQUAL FILE)
    continue()
  endif()
  get_filename_component(dir "${MUTANT_DIR}/${rel}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  file(COPY_FILE "${SOURCE_DIR}/${rel}" "${MUTANT_DIR}/${rel}" ONLY_IF_DIFFERENT)
endforeach()
file(WRITE "${MUTANT_DIR}/${FILE}.tmp" "${head}${to}${tail}")
file(COPY_FILE "${MUTANT_DIR}/${FILE}.tmp" "${MUTANT_DIR}/${FILE}" ONLY_IF_DIFFERENT)
file(REMOVE "${MUTANT_DIR}/${FILE}.tmp")
file(TOUCH "${MUTANT_DIR}/applied.stamp")
